/** `agent-mesh doctor`: what `commands/doctor.ts` uses. */
export { diagnose, type DoctorInput } from "./diagnose.ts";
export { formatReport } from "./format.ts";
export type { DoctorReport } from "./report.ts";
