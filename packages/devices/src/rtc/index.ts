/** MC146818 real-time clock and CMOS RAM. */
export * from "./registers.js";
export * from "./state.js";
export * from "./calendar.js";
export * from "./rtc.js";
