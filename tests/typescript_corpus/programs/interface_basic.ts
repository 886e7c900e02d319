interface Point {
  x: number;
  y: number;
}
const p: Point = { x: 3, y: 4 };
const length = (q: Point): number => Math.sqrt(q.x * q.x + q.y * q.y);
export default length(p);
