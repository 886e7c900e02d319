function parse(x: string): number;
function parse(x: number): string;
function parse(x: string | number): string | number {
  return typeof x === "string" ? Number(x) : String(x);
}
class Fmt {
  show(x: number): string;
  show(x: string): string;
  show(x: any): string { return `<${x}>`; }
}
export default [parse("42"), parse(7), new Fmt().show(1), new Fmt().show("s")];
