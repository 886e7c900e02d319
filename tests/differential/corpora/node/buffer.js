// === from utf8 to every encoding
const b = Buffer.from("Héllo, wörld ✓ 😀", "utf8");
export default ["hex", "base64", "base64url", "latin1", "binary", "ascii", "utf16le", "ucs2", "utf8"].map((e) => b.toString(e));
// === hex round trip
export default Buffer.from("deadBEEF00ff", "hex").toString("hex");
// === odd hex stops
export default [...Buffer.from("abc", "hex")];
// === base64 without padding and with whitespace
export default [Buffer.from("aGVsbG8", "base64").toString(), Buffer.from("aGVs\nbG8=", "base64").toString()];
// === base64url of bytes that need - and _
export default Buffer.from([251, 255, 190, 63]).toString("base64url");
// === base64url decoding
export default [...Buffer.from("-_-_", "base64url")];
// === latin1 of high characters
export default [...Buffer.from("é€ÿ", "latin1")];
// === ascii decode masks the high bit
export default Buffer.from([0xe9, 0x41, 0xff]).toString("ascii");
// === utf16le round trip
const u = Buffer.from("a😀b", "utf16le");
export default [u.length, u.toString("hex"), u.toString("utf16le")];
// === byteLength by encoding
export default ["utf8", "hex", "base64", "latin1", "utf16le", "base64url"].map((e) => Buffer.byteLength("aGVsbG8gd29ybGQ", e));
// === alloc fill and write
const a = Buffer.alloc(8, "ab");
a.write("XY", 2);
export default a.toString();
// === concat slice and compare
const c = Buffer.concat([Buffer.from("abc"), Buffer.from("def")]);
export default [c.toString(), c.subarray(1, 4).toString(), Buffer.compare(Buffer.from("a"), Buffer.from("b")), c.equals(Buffer.from("abcdef"))];
// === integers read and written
const n = Buffer.alloc(12);
n.writeUInt32BE(0xdeadbeef, 0);
n.writeInt16LE(-2, 4);
n.writeDoubleLE(1.5, 4);
export default [n.readUInt32BE(0), n.readUInt8(0), n.toString("hex"), n.readDoubleLE(4)];
// === bigint read
const big = Buffer.from("0102030405060708", "hex");
export default [big.readBigUInt64BE(0).toString(), big.readBigInt64LE(0).toString()];
// === indexOf and includes
const h = Buffer.from("hello world");
export default [h.indexOf("o"), h.lastIndexOf("o"), h.includes("wor"), h.indexOf(Buffer.from("ld"))];
// === isEncoding
export default ["utf8", "UTF-8", "hex", "base64url", "latin1", "binary", "ucs-2", "utf-16le", "nope", ""].map((e) => Buffer.isEncoding(e));
// === toJSON
export default Buffer.from("hi").toJSON();
// === isBuffer
export default [Buffer.isBuffer(Buffer.alloc(1)), Buffer.isBuffer(new Uint8Array(1)), Buffer.from("x") instanceof Uint8Array];
// === from array and arraybuffer
const ab = new Uint8Array([1, 2, 3]).buffer;
export default [[...Buffer.from([256, -1, 1.7])], [...Buffer.from(ab, 1)]];
// === unknown encoding throws
let err;
try { Buffer.from("x", "nope"); } catch (e) { err = e.name + ":" + e.message; }
export default err;
// === swap16
export default Buffer.from("0102", "hex").swap16().toString("hex");
// === fill with encoding
export default Buffer.alloc(5).fill("ab", "latin1").toString();
// === invalid utf8 becomes replacement characters
export default Buffer.from([0xff, 0x61, 0xe2, 0x82]).toString("utf8");
// === buffer module import
import { Buffer as B, kMaxLength } from "node:buffer";
export default [B === Buffer, typeof kMaxLength];
// === atob and btoa
export default [btoa("hello"), atob("aGVsbG8=")];
