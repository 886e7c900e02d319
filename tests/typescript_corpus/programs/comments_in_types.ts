interface Doc {
  // a line comment inside an interface
  id: number; /* block comment */
}
const d: Doc /* after type */ = { id: 1 };
function f(a: number /* param note */, b: string // trailing
): string { return `${a}${b}`; }
export default [d.id, f(2, "x")];
