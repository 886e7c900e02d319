// === default toLocaleString groups thousands
export default (1234567.891).toLocaleString();
// === en-US currency USD
export default (1234.5).toLocaleString("en-US", { style: "currency", currency: "USD" });
// === de-DE grouping and decimal comma
export default (1234567.891).toLocaleString("de-DE");
// === en-IN lakh grouping
export default (123456789).toLocaleString("en-IN");
// === fr-FR currency EUR
export default new Intl.NumberFormat("fr-FR", { style: "currency", currency: "EUR" }).format(9876.5);
// === ja-JP currency JPY has no decimals
export default new Intl.NumberFormat("ja-JP", { style: "currency", currency: "JPY" }).format(12345.67);
// === en-GB currency GBP
export default new Intl.NumberFormat("en-GB", { style: "currency", currency: "GBP" }).format(-42.1);
// === currency accounting sign
export default new Intl.NumberFormat("en-US", { style: "currency", currency: "USD", currencySign: "accounting" }).format(-5);
// === currency display name
export default new Intl.NumberFormat("en-US", { style: "currency", currency: "EUR", currencyDisplay: "name" }).format(2);
// === currency display code
export default new Intl.NumberFormat("en-US", { style: "currency", currency: "CAD", currencyDisplay: "code" }).format(10);
// === percent
export default new Intl.NumberFormat("en-US", { style: "percent" }).format(0.256);
// === percent with fraction digits
export default new Intl.NumberFormat("en-US", { style: "percent", minimumFractionDigits: 1 }).format(0.12345);
// === compact short
export default [1234, 56789, 1234567, 9.9e9].map((n) => new Intl.NumberFormat("en-US", { notation: "compact" }).format(n));
// === compact long
export default new Intl.NumberFormat("en-US", { notation: "compact", compactDisplay: "long" }).format(2500000);
// === compact de
export default new Intl.NumberFormat("de-DE", { notation: "compact" }).format(1500000);
// === scientific
export default new Intl.NumberFormat("en-US", { notation: "scientific" }).format(123456);
// === engineering
export default new Intl.NumberFormat("en-US", { notation: "engineering" }).format(123456);
// === unit kilometer-per-hour
export default new Intl.NumberFormat("en-US", { style: "unit", unit: "kilometer-per-hour" }).format(88);
// === unit long liters
export default new Intl.NumberFormat("en-US", { style: "unit", unit: "liter", unitDisplay: "long" }).format(16);
// === unit narrow megabyte
export default new Intl.NumberFormat("en-US", { style: "unit", unit: "megabyte", unitDisplay: "narrow" }).format(512);
// === minimum fraction digits via toLocaleString
export default (5).toLocaleString("en-US", { minimumFractionDigits: 2 });
// === maximum fraction digits rounds
export default (2.34567).toLocaleString("en-US", { maximumFractionDigits: 2 });
// === significant digits
export default new Intl.NumberFormat("en-US", { maximumSignificantDigits: 3 }).format(123456);
// === useGrouping false
export default new Intl.NumberFormat("en-US", { useGrouping: false }).format(1234567);
// === signDisplay always
export default [-1, 0, 1].map((n) => new Intl.NumberFormat("en-US", { signDisplay: "always" }).format(n));
// === signDisplay exceptZero
export default [-1, 0, 1].map((n) => new Intl.NumberFormat("en-US", { signDisplay: "exceptZero" }).format(n));
// === formatToParts currency
export default new Intl.NumberFormat("en-US", { style: "currency", currency: "USD" }).formatToParts(1234.5);
// === resolvedOptions of a number format
export default new Intl.NumberFormat("de-DE", { style: "currency", currency: "EUR" }).resolvedOptions();
// === BigInt toLocaleString
export default (12345678901234567890n).toLocaleString("en-US");
// === es-ES small numbers do not group
export default [1234, 12345].map((n) => n.toLocaleString("es-ES"));
// === pt-BR currency BRL
export default (1999.9).toLocaleString("pt-BR", { style: "currency", currency: "BRL" });
// === ru-RU grouping space
export default (1234567.5).toLocaleString("ru-RU");
// === zh-CN compact
export default new Intl.NumberFormat("zh-CN", { notation: "compact" }).format(123456789);
// === ko-KR currency KRW
export default new Intl.NumberFormat("ko-KR", { style: "currency", currency: "KRW" }).format(50000);
// === sv-SE negative number
export default (-1234.5).toLocaleString("sv-SE");
// === NaN and Infinity
export default [NaN, Infinity, -Infinity].map((n) => n.toLocaleString("en-US"));
// === roundingMode floor
export default new Intl.NumberFormat("en-US", { maximumFractionDigits: 0, roundingMode: "floor" }).format(2.9);
// === formatRange
export default new Intl.NumberFormat("en-US", { style: "currency", currency: "USD", maximumFractionDigits: 0 }).formatRange(3, 5);
