// node:crypto over @noble/hashes (bundles/node/hashes.js): hashes and HMACs, random values from
// the run's seed (the registry's `random`), timingSafeEqual, and webcrypto's getRandomValues,
// randomUUID and subtle.digest. Ciphers, signatures and keys are not here: they fail loudly.
function (module, exports, require) {
  "use strict";
  const { Buffer } = require("buffer");
  const noble = require("hashes");
  const fill = require("random");

  // Node's names (lower case) -> the noble hash.
  const HASHES = {
    __proto__: null, md5: noble.md5, sha1: noble.sha1, ripemd160: noble.ripemd160, rmd160: noble.ripemd160,
    sha224: noble.sha224, sha256: noble.sha256, sha384: noble.sha384, sha512: noble.sha512,
    "sha512-224": noble.sha512_224, "sha512-256": noble.sha512_256,
    "sha3-224": noble.sha3_224, "sha3-256": noble.sha3_256, "sha3-384": noble.sha3_384, "sha3-512": noble.sha3_512,
    "rsa-md5": noble.md5, "rsa-sha1": noble.sha1, "rsa-sha256": noble.sha256, "rsa-sha384": noble.sha384, "rsa-sha512": noble.sha512,
  };
  const fail = (Kind, code, message, boundary) => {
    const e = new Kind(message);
    e.code = code;
    if (boundary) Error.captureStackTrace(e, boundary);
    return e;
  };
  function hashOf(algorithm, boundary) {
    if (typeof algorithm !== "string") {
      throw fail(TypeError, "ERR_INVALID_ARG_TYPE", `The "algorithm" argument must be of type string. Received ${typeof algorithm}`, boundary);
    }
    const hash = HASHES[algorithm.toLowerCase()];
    if (hash === undefined) throw fail(Error, "ERR_OSSL_EVP_UNSUPPORTED", "Digest method not supported", boundary);
    return hash;
  }
  function bytesOf(data, encoding, name, boundary) {
    if (typeof data === "string") return Buffer.from(data, encoding === "buffer" ? "utf8" : encoding);
    if (ArrayBuffer.isView(data)) return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
    if (data instanceof ArrayBuffer) return new Uint8Array(data);
    throw fail(TypeError, "ERR_INVALID_ARG_TYPE",
      `The "${name}" argument must be of type string or an instance of Buffer, TypedArray, or DataView. Received ${data === null ? "null" : typeof data}`, boundary);
  }
  const output = (bytes, encoding) => {
    const buffer = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    return encoding === undefined || encoding === "buffer" ? buffer : buffer.toString(encoding);
  };

  // One hash or HMAC in progress, as node's Hash and Hmac objects.
  class Digest {
    #state; #done = false; #flavor;
    constructor(state, flavor) { this.#state = state; this.#flavor = flavor; }
    update(data, encoding) {
      if (this.#done) throw fail(Error, "ERR_CRYPTO_HASH_FINALIZED", "Digest already called", this.update);
      this.#state.update(bytesOf(data, encoding, "data", this.update));
      return this;
    }
    digest(encoding) {
      if (this.#done) throw fail(Error, "ERR_CRYPTO_HASH_FINALIZED", "Digest already called", this.digest);
      this.#done = true;
      return output(this.#state.digest(), encoding);
    }
    copy() {
      if (this.#done || this.#flavor !== "Hash") throw fail(Error, "ERR_CRYPTO_HASH_FINALIZED", "Digest already called", this.copy);
      return new Digest(this.#state.clone(), this.#flavor);
    }
  }
  function createHash(algorithm) {
    return new Digest(hashOf(algorithm, createHash).create(), "Hash");
  }
  function createHmac(algorithm, key) {
    const hash = hashOf(algorithm, createHmac);
    return new Digest(noble.hmac.create(hash, bytesOf(key, "utf8", "key", createHmac)), "Hmac");
  }
  const hash = (algorithm, data, encoding = "hex") => createHash(algorithm).update(data).digest(encoding);

  function checkSize(size, boundary) {
    if (typeof size !== "number") throw fail(TypeError, "ERR_INVALID_ARG_TYPE", `The "size" argument must be of type number. Received ${typeof size}`, boundary);
    if (!(size >= 0 && size <= 2 ** 31 - 1) || !Number.isInteger(size)) {
      throw fail(RangeError, "ERR_OUT_OF_RANGE", `The value of "size" is out of range. It must be >= 0 && <= 2147483647. Received ${size}`, boundary);
    }
  }
  function randomBytes(size, callback) {
    checkSize(size, randomBytes);
    const bytes = fill(Buffer.alloc(size));
    if (typeof callback === "function") { queueMicrotask(() => callback(null, bytes)); return undefined; }
    return bytes;
  }
  function getRandomValues(array) {
    if (!ArrayBuffer.isView(array) || array instanceof Float32Array || array instanceof Float64Array || array instanceof DataView) {
      const e = new TypeError("The data argument must be an integer-type TypedArray");
      e.name = "TypeMismatchError";
      throw e;
    }
    if (array.byteLength > 65536) {
      throw new RangeError(`The ArrayBufferView's byte length (${array.byteLength}) exceeds the number of bytes of entropy available via this API (65536)`);
    }
    fill(new Uint8Array(array.buffer, array.byteOffset, array.byteLength));
    return array;
  }
  function randomFillSync(buffer, offset = 0, size) {
    const view = new Uint8Array(buffer.buffer || buffer, buffer.byteOffset || 0, buffer.byteLength);
    fill(view.subarray(offset, size === undefined ? undefined : offset + size));
    return buffer;
  }
  function randomUUID() {
    const b = fill(new Uint8Array(16));
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    const hex = Buffer.from(b).toString("hex");
    return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
  }
  // A uniform integer in [min, max): rejection sampling over 48 random bits, as node does.
  function randomInt(min, max, callback) {
    if (max === undefined || typeof max === "function") { callback = max; max = min; min = 0; }
    if (!Number.isSafeInteger(min)) throw fail(TypeError, "ERR_INVALID_ARG_TYPE", `The "min" argument must be a safe integer. Received ${min}`, randomInt);
    if (!Number.isSafeInteger(max)) throw fail(TypeError, "ERR_INVALID_ARG_TYPE", `The "max" argument must be a safe integer. Received ${max}`, randomInt);
    if (max <= min) throw fail(RangeError, "ERR_OUT_OF_RANGE", `The value of "max" is out of range. It must be greater than the value of "min" (${min}). Received ${max}`, randomInt);
    const range = max - min;
    if (range > 2 ** 48) throw fail(RangeError, "ERR_OUT_OF_RANGE", `The value of "max - min" is out of range. It must be <= 281474976710655. Received ${range}`, randomInt);
    const limit = 2 ** 48 - (2 ** 48 % range);
    const b = new Uint8Array(6);
    let x;
    do { fill(b); x = b.reduce((acc, byte) => acc * 256 + byte, 0); } while (x >= limit);
    const value = min + (x % range);
    if (typeof callback === "function") { queueMicrotask(() => callback(null, value)); return undefined; }
    return value;
  }
  function timingSafeEqual(a, b) {
    const x = bytesOf(a, "utf8", "buf1", timingSafeEqual), y = bytesOf(b, "utf8", "buf2", timingSafeEqual);
    if (typeof a === "string" || typeof b === "string") throw fail(TypeError, "ERR_INVALID_ARG_TYPE", 'The "buf1" argument must be an instance of ArrayBuffer, Buffer, TypedArray, or DataView.', timingSafeEqual);
    if (x.length !== y.length) throw fail(RangeError, "ERR_CRYPTO_TIMING_SAFE_EQUAL_LENGTH", "Input buffers must have the same byte length", timingSafeEqual);
    let diff = 0;
    for (let i = 0; i < x.length; i++) diff |= x[i] ^ y[i];
    return diff === 0;
  }
  function pbkdf2Sync(password, salt, iterations, keylen, digest) {
    const key = noble.pbkdf2(hashOf(digest, pbkdf2Sync), bytesOf(password, "utf8", "password", pbkdf2Sync), bytesOf(salt, "utf8", "salt", pbkdf2Sync),
      { c: iterations, dkLen: keylen });
    return output(key, undefined);
  }
  function pbkdf2(password, salt, iterations, keylen, digest, callback) {
    let key, error = null;
    try { key = pbkdf2Sync(password, salt, iterations, keylen, digest); } catch (e) { error = e; }
    queueMicrotask(() => callback(error, key));
  }

  // webcrypto: what needs no keys.
  const SUBTLE = { __proto__: null, "SHA-1": noble.sha1, "SHA-256": noble.sha256, "SHA-384": noble.sha384, "SHA-512": noble.sha512 };
  const notSupported = (message) => { const e = new Error(message); e.name = "NotSupportedError"; return e; };
  const subtle = {
    async digest(algorithm, data) {
      const name = typeof algorithm === "string" ? algorithm : algorithm && algorithm.name;
      const found = SUBTLE[String(name).toUpperCase()];
      if (found === undefined) throw notSupported("Unrecognized algorithm name");
      const bytes = found(bytesOf(data, "utf8", "data"));
      return bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength);
    },
  };
  for (const name of ["encrypt", "decrypt", "sign", "verify", "generateKey", "deriveKey", "deriveBits", "importKey", "exportKey", "wrapKey", "unwrapKey"]) {
    subtle[name] = async () => { throw notSupported(`crypto.subtle.${name} is not available in the sandbox (only crypto.subtle.digest is)`); };
  }
  const webcrypto = Object.freeze({ getRandomValues, randomUUID, subtle: Object.freeze(subtle) });

  module.exports = {
    createHash, createHmac, hash, getHashes: () => Object.keys(HASHES).sort(), randomBytes, randomFillSync, randomUUID, randomInt,
    getRandomValues, timingSafeEqual, pbkdf2Sync, pbkdf2, webcrypto, subtle: webcrypto.subtle, constants: Object.freeze({}),
  };
  const AVAILABLE = "createHash, createHmac, hash, randomBytes, randomUUID, randomInt, getRandomValues, timingSafeEqual, pbkdf2Sync, webcrypto.subtle.digest";
  for (const name of ["createCipheriv", "createDecipheriv", "createSign", "createVerify", "createECDH", "createDiffieHellman", "generateKeyPair",
    "generateKeyPairSync", "generateKeySync", "createPublicKey", "createPrivateKey", "createSecretKey", "publicEncrypt", "privateDecrypt", "privateEncrypt",
    "publicDecrypt", "scrypt", "scryptSync", "hkdf", "hkdfSync", "sign", "verify", "randomFill"]) {
    module.exports[name] = function () {
      throw fail(Error, "ERR_FEATURE_UNAVAILABLE_ON_PLATFORM", `crypto.${name} is not available in the sandbox (it has ${AVAILABLE})`, module.exports[name]);
    };
  }
}
