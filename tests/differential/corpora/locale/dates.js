// === long month date
export default new Date(Date.UTC(2024, 2, 15, 12)).toLocaleDateString("en-US", { month: "long", day: "numeric", year: "numeric", timeZone: "UTC" });
// === weekday long
export default new Date(Date.UTC(2024, 2, 18, 12)).toLocaleDateString("en-US", { weekday: "long", timeZone: "UTC" });
// === default toLocaleDateString
export default new Date(Date.UTC(2024, 2, 15, 12)).toLocaleDateString("en-US", { timeZone: "UTC" });
// === time in New York
export default new Date(Date.UTC(2024, 2, 15, 12)).toLocaleTimeString("en-US", { timeZone: "America/New_York" });
// === time in Tokyo 24h
export default new Date(Date.UTC(2024, 2, 15, 12)).toLocaleTimeString("en-GB", { timeZone: "Asia/Tokyo" });
// === dateStyle full
export default new Intl.DateTimeFormat("en-US", { dateStyle: "full", timeZone: "UTC" }).format(new Date(Date.UTC(2024, 0, 1)));
// === dateStyle and timeStyle short
export default new Intl.DateTimeFormat("en-US", { dateStyle: "short", timeStyle: "short", timeZone: "UTC" }).format(new Date(Date.UTC(2024, 6, 4, 18, 30)));
// === de-DE medium date
export default new Intl.DateTimeFormat("de-DE", { dateStyle: "medium", timeZone: "Europe/Berlin" }).format(new Date(Date.UTC(2024, 11, 24, 20)));
// === fr-FR long date
export default new Intl.DateTimeFormat("fr-FR", { dateStyle: "long", timeZone: "Europe/Paris" }).format(new Date(Date.UTC(2024, 4, 1, 10)));
// === ja-JP date
export default new Intl.DateTimeFormat("ja-JP", { year: "numeric", month: "long", day: "numeric", timeZone: "Asia/Tokyo" }).format(new Date(Date.UTC(2024, 4, 1, 10)));
// === timeZoneName short across DST
export default [0, 6].map((m) => new Intl.DateTimeFormat("en-US", { hour: "numeric", timeZoneName: "short", timeZone: "America/Los_Angeles" }).format(new Date(Date.UTC(2024, m, 15, 20))));
// === Sydney offset in January
export default new Intl.DateTimeFormat("en-US", { timeZone: "Australia/Sydney", hour: "2-digit", minute: "2-digit", hourCycle: "h23" }).format(new Date(Date.UTC(2024, 0, 15, 0, 0)));
// === Kolkata half-hour offset
export default new Date(Date.UTC(2024, 0, 15, 0, 0)).toLocaleString("en-IN", { timeZone: "Asia/Kolkata" });
// === formatToParts date
export default new Intl.DateTimeFormat("en-US", { year: "numeric", month: "short", day: "2-digit", timeZone: "UTC" }).formatToParts(new Date(Date.UTC(2024, 1, 29)));
// === resolvedOptions time zone
export default new Intl.DateTimeFormat("en-US", { timeZone: "Europe/London" }).resolvedOptions().timeZone;
// === default resolved time zone
export default new Intl.DateTimeFormat().resolvedOptions().timeZone;
// === hour12 false
export default new Date(Date.UTC(2024, 2, 15, 15, 5)).toLocaleTimeString("en-US", { hour12: false, timeZone: "UTC" });
// === month narrow
export default Array.from({ length: 12 }, (_, m) => new Date(Date.UTC(2024, m, 1)).toLocaleDateString("en-US", { month: "narrow", timeZone: "UTC" })).join("");
// === month names de
export default Array.from({ length: 12 }, (_, m) => new Date(Date.UTC(2024, m, 1)).toLocaleDateString("de-DE", { month: "long", timeZone: "UTC" }));
// === weekday short es
export default Array.from({ length: 7 }, (_, d) => new Date(Date.UTC(2024, 0, 1 + d)).toLocaleDateString("es-ES", { weekday: "short", timeZone: "UTC" }));
// === formatRange dates
export default new Intl.DateTimeFormat("en-US", { dateStyle: "medium", timeZone: "UTC" }).formatRange(new Date(Date.UTC(2024, 0, 10)), new Date(Date.UTC(2024, 0, 20)));
// === toLocaleString default en-US
export default new Date(Date.UTC(2024, 2, 15, 12)).toLocaleString("en-US", { timeZone: "UTC" });
// === Sao Paulo time
export default new Date(Date.UTC(2024, 2, 15, 12)).toLocaleTimeString("pt-BR", { timeZone: "America/Sao_Paulo" });
// === fractional seconds
export default new Intl.DateTimeFormat("en-US", { minute: "2-digit", second: "2-digit", fractionalSecondDigits: 3, timeZone: "UTC" }).format(new Date(Date.UTC(2024, 0, 1, 0, 3, 4, 56)));
// === era and year
export default new Intl.DateTimeFormat("en-US", { era: "short", year: "numeric", timeZone: "UTC" }).format(new Date(Date.UTC(2024, 0, 1)));
// === invalid date toLocaleDateString
export default new Date(NaN).toLocaleDateString("en-US");
