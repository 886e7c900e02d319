// Compiled only for a run whose code names TextEncoder or TextDecoder, which the engine lacks:
// UTF-8 both ways, as the WHATWG Encoding standard defines it (the only encoding offered).
(g) => {
  "use strict";
  // An error raised here points at the guest's call, not into this file.
  const at = (e, boundary) => { if (e instanceof Error) Error.captureStackTrace(e, boundary); return e; };
  const bytesOf = (input, boundary) => {
    if (input === undefined) return new Uint8Array(0);
    if (input instanceof ArrayBuffer) return new Uint8Array(input);
    if (ArrayBuffer.isView(input)) return new Uint8Array(input.buffer, input.byteOffset, input.byteLength);
    throw at(new TypeError("TextDecoder.decode: give an ArrayBuffer, a typed array or a DataView"), boundary);
  };

  // The code point at s[i] (a lone surrogate becomes U+FFFD) and how many UTF-16 units it takes.
  function pointAt(s, i) {
    const c = s.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length) {
      const d = s.charCodeAt(i + 1);
      if (d >= 0xdc00 && d <= 0xdfff) return [0x10000 + ((c - 0xd800) << 10) + (d - 0xdc00), 2];
    }
    return [c >= 0xd800 && c <= 0xdfff ? 0xfffd : c, 1];
  }
  const size = (c) => c < 0x80 ? 1 : c < 0x800 ? 2 : c < 0x10000 ? 3 : 4;
  function put(c, out, n) {
    if (c < 0x80) out[n++] = c;
    else if (c < 0x800) { out[n++] = 0xc0 | (c >> 6); out[n++] = 0x80 | (c & 63); }
    else if (c < 0x10000) { out[n++] = 0xe0 | (c >> 12); out[n++] = 0x80 | ((c >> 6) & 63); out[n++] = 0x80 | (c & 63); }
    else { out[n++] = 0xf0 | (c >> 18); out[n++] = 0x80 | ((c >> 12) & 63); out[n++] = 0x80 | ((c >> 6) & 63); out[n++] = 0x80 | (c & 63); }
    return n;
  }

  class TextEncoder {
    get encoding() { return "utf-8"; }
    encode(input = "") {
      const s = String(input);
      const out = new Uint8Array(s.length * 3);  // a UTF-16 unit never takes more than 3 bytes
      let n = 0;
      for (let i = 0; i < s.length;) { const [c, units] = pointAt(s, i); n = put(c, out, n); i += units; }
      return out.slice(0, n);
    }
    encodeInto(input, dest) {
      if (!(dest instanceof Uint8Array)) throw at(new TypeError("TextEncoder.encodeInto: the destination must be a Uint8Array"), this.encodeInto);
      const s = String(input);
      let read = 0, written = 0;
      while (read < s.length) {
        const [c, units] = pointAt(s, read);
        if (written + size(c) > dest.length) break;
        written = put(c, dest, written);
        read += units;
      }
      return { read, written };
    }
  }

  class TextDecoder {
    #fatal; #ignoreBOM;
    constructor(label = "utf-8", options = {}) {
      if (!/^\s*(utf-?8|unicode-1-1-utf-8)\s*$/i.test(String(label))) {
        throw at(new RangeError("TextDecoder: only utf-8 is available here, not " + JSON.stringify(String(label))), TextDecoder);
      }
      this.#fatal = !!(options && options.fatal);
      this.#ignoreBOM = !!(options && options.ignoreBOM);
    }
    get encoding() { return "utf-8"; }
    get fatal() { return this.#fatal; }
    get ignoreBOM() { return this.#ignoreBOM; }
    decode(input) {
      const bytes = bytesOf(input, this.decode);
      const points = [];
      let text = "";
      const emit = (c) => { points.push(c); if (points.length >= 8192) { text += String.fromCodePoint(...points); points.length = 0; } };
      const bad = () => {
        if (this.#fatal) throw at(new TypeError("TextDecoder.decode: the data is not valid UTF-8"), this.decode);
        emit(0xfffd);
      };
      for (let i = 0; i < bytes.length;) {
        const b = bytes[i];
        let need = 0, c = b, lower = 0x80, upper = 0xbf;
        if (b >= 0xc2 && b <= 0xdf) { need = 1; c = b & 0x1f; }
        else if (b >= 0xe0 && b <= 0xef) { need = 2; c = b & 0xf; if (b === 0xe0) lower = 0xa0; if (b === 0xed) upper = 0x9f; }
        else if (b >= 0xf0 && b <= 0xf4) { need = 3; c = b & 7; if (b === 0xf0) lower = 0x90; if (b === 0xf4) upper = 0x8f; }
        else if (b >= 0x80) { bad(); i++; continue; }
        let j = 1;
        for (; j <= need; j++) {
          const next = bytes[i + j];
          if (next === undefined || next < lower || next > upper) break;
          lower = 0x80; upper = 0xbf;
          c = (c << 6) | (next & 0x3f);
        }
        if (j <= need) { bad(); i += j; continue; }  // the byte that broke the sequence starts the next one
        emit(c);
        i += need + 1;
      }
      text += String.fromCodePoint(...points);
      return !this.#ignoreBOM && text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
    }
  }

  for (const [name, value] of [["TextEncoder", TextEncoder], ["TextDecoder", TextDecoder]]) {
    Object.defineProperty(g, name, { value, writable: true, configurable: true });
  }
}
