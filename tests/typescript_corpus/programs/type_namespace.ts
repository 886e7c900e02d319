namespace Shapes {
  export interface Circle { r: number }
  export type Kind = "circle";
}
namespace Outer.Inner { export type Id = number }
const c: Shapes.Circle = { r: 2 };
const k: Shapes.Kind = "circle";
export default [c.r, k];
