// === sha256 of a fixed string
import { createHash } from "node:crypto";
export default createHash("sha256").update("The quick brown fox jumps over the lazy dog").digest("hex");
// === every hash family
import crypto from "crypto";
export default ["md5", "sha1", "sha224", "sha256", "sha384", "sha512", "sha512-256", "SHA256", "RSA-SHA1", "sha3-256", "ripemd160"].map((a) => crypto.createHash(a).update("abc").digest("hex"));
// === digest encodings
import { createHash } from "node:crypto";
export default ["hex", "base64", "base64url", "latin1"].map((e) => createHash("md5").update("x").digest(e));
// === digest buffer
import { createHash } from "node:crypto";
const d = createHash("sha1").update("a").digest();
export default [d.length, Buffer.isBuffer(d), d.toString("hex")];
// === update in pieces and with encodings
import { createHash } from "node:crypto";
export default createHash("sha256").update("ab").update("6364", "hex").update(Buffer.from("e")).update(new Uint8Array([102])).digest("hex");
// === unicode input is utf8
import { createHash } from "node:crypto";
export default createHash("md5").update("héllo ✓ 😀").digest("hex");
// === hmac
import { createHmac } from "node:crypto";
export default [createHmac("sha256", "key").update("The quick brown fox jumps over the lazy dog").digest("hex"), createHmac("sha512", Buffer.from("k")).update("").digest("base64"), createHmac("md5", "").update("x").digest("hex")];
// === hmac with a long key
import { createHmac } from "node:crypto";
export default createHmac("sha1", "k".repeat(200)).update("data").digest("hex");
// === digest twice throws
import { createHash } from "node:crypto";
const h = createHash("sha256");
h.digest();
let m;
try { h.digest(); } catch (e) { m = e.message; }
export default m;
// === unknown algorithm throws
import { createHash } from "node:crypto";
let m;
try { createHash("sha999"); } catch (e) { m = e.message; }
export default m;
// === copy
import { createHash } from "node:crypto";
const h = createHash("sha256").update("a");
const c = h.copy();
export default [h.update("b").digest("hex"), c.digest("hex")];
// === random shapes
import { randomBytes, randomUUID, randomInt } from "node:crypto";
const r = randomInt(10);
const s = randomInt(5, 7);
export default [randomBytes(16).length, /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/.test(randomUUID()), r >= 0 && r < 10, s === 5 || s === 6];
// === timingSafeEqual
import { timingSafeEqual } from "node:crypto";
let m;
try { timingSafeEqual(Buffer.from("a"), Buffer.from("ab")); } catch (e) { m = e.code; }
export default [timingSafeEqual(Buffer.from("abc"), Buffer.from("abc")), timingSafeEqual(Buffer.from("abc"), Buffer.from("abd")), m];
// === subtle digest
const bytes = await crypto.subtle.digest("SHA-256", new TextEncoder().encode("abc"));
export default Buffer.from(bytes).toString("hex");
// === webcrypto getRandomValues
import { webcrypto } from "node:crypto";
const a = webcrypto.getRandomValues(new Uint32Array(4));
export default [a.length, a instanceof Uint32Array];
// === global crypto randomUUID
export default crypto.randomUUID().length;
// === pbkdf2
import { pbkdf2Sync } from "node:crypto";
export default pbkdf2Sync("password", "salt", 1000, 32, "sha256").toString("hex");
// === getHashes includes the common ones
import { getHashes } from "node:crypto";
export default ["md5", "sha1", "sha256", "sha512"].every((h) => getHashes().includes(h));
// === hash of a big string
import { createHash } from "node:crypto";
export default createHash("sha256").update("x".repeat(1000000)).digest("hex");
