/** The pieces of lib/doctor that `doctor` uses, loaded only when it runs. */
export { diagnose, formatReport } from "../../lib/doctor/mod.ts";
