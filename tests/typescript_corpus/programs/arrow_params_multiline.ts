const build = (
  name: string,
  opts?: { upper?: boolean; suffix?: string },
): string => {
  const base = opts?.upper ? name.toUpperCase() : name;
  return base + (opts?.suffix ?? "");
};
export default [build("a"), build("b", { upper: true, suffix: "!" })];
