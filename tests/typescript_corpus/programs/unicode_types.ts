type Greeting = "héllo" | "wörld";
const pick = (g: Greeting): string => g.toUpperCase();
const words: Array<"日本" | "語"> = ["日本", "語"];
export default [pick("héllo"), words.join("")];
