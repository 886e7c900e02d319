import type { Row } from "jsolve:inputs";
import { type Tool, type Other } from "jsolve:tools";
type Local = { id: number };
const rows: Local[] = [{ id: 1 }, { id: 2 }];
export default rows.map((r: Local) => r.id * 10);
