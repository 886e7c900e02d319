type Shape = { kind: "circle"; r: number } | { kind: "square"; side: number };
function area(s: Shape): number {
  switch (s.kind) {
    case "circle": return Math.round(Math.PI * s.r * s.r);
    case "square": return s.side * s.side;
  }
}
const shapes: Shape[] = [{ kind: "circle", r: 2 }, { kind: "square", side: 3 }];
export default shapes.map(area);
