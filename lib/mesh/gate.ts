/** The rate gate's fixed window, in seconds (the original's value). */
export const GATE_WINDOW_S = 10;

// The verdict is computed by the store, in the transaction that counts the send.
export { gateVerdict, type Verdict } from "../store/port.ts";
