/**
 * Proleptic Gregorian calendar arithmetic on day numbers (days since 1970-01-01),
 * allocation-free and valid for any integer input: out-of-range fields carry over.
 */

/** Day number of year-month-day (month 1–12; other values carry into the year). */
export function daysFromCivil(year: number, month: number, day: number): number {
  // Normalise the month into 1..12, carrying whole years.
  const m0 = month - 1;
  const y = year + Math.floor(m0 / 12);
  const m = (((m0 % 12) + 12) % 12) + 1;
  // Count from March so the leap day is the last of the year.
  const yy = m <= 2 ? y - 1 : y;
  const era = Math.floor(yy / 400);
  const yoe = yy - era * 400;
  const mp = m > 2 ? m - 3 : m + 9;
  const doy = Math.floor((153 * mp + 2) / 5) + day - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * 146097 + doe - 719468;
}

/** Calendar fields written by {@link civilFromDays}: [year, month 1–12, day 1–31, weekday 0=Sunday]. */
export function civilFromDays(days: number, out: Int32Array): void {
  const z = days + 719468;
  const era = Math.floor(z / 146097);
  const doe = z - era * 146097;
  const yoe = Math.floor((doe - Math.floor(doe / 1460) + Math.floor(doe / 36524) - Math.floor(doe / 146096)) / 365);
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
  const mp = Math.floor((5 * doy + 2) / 153);
  const d = doy - Math.floor((153 * mp + 2) / 5) + 1;
  const m = mp < 10 ? mp + 3 : mp - 9;
  out[0] = yoe + era * 400 + (m <= 2 ? 1 : 0);
  out[1] = m;
  out[2] = d;
  // 1970-01-01 was a Thursday (4).
  out[3] = (((days + 4) % 7) + 7) % 7;
}
