// Compiled only for a run whose code names TextEncoder or TextDecoder, which the engine lacks:
// UTF-8 both ways, as the WHATWG Encoding standard defines it; TextDecoder also reads node's other
// encodings: UTF-16 (LE and BE) and latin1 (windows-1252, as the standard maps that label).
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

  // The WHATWG labels of the encodings decoded here (node's with ICU has more: those fail loudly).
  const LABELS = { __proto__: null };
  for (const [name, labels] of [
    ["utf-8", "unicode-1-1-utf-8 unicode11utf8 unicode20utf8 utf-8 utf8 x-unicode20utf8"],
    ["windows-1252", "ansi_x3.4-1968 ascii cp1252 cp819 csisolatin1 ibm819 iso-8859-1 iso-ir-100 iso8859-1 iso88591 iso_8859-1 iso_8859-1:1987 l1 latin1 us-ascii windows-1252 x-cp1252"],
    ["utf-16le", "csunicode iso-10646-ucs-2 ucs-2 unicode unicodefeff utf-16 utf-16le"],
    ["utf-16be", "unicodefffe utf-16be"],
  ]) for (const label of labels.split(" ")) LABELS[label] = name;
  class TextDecoder {
    #fatal; #ignoreBOM; #encoding;
    constructor(label = "utf-8", options = {}) {
      const encoding = LABELS[String(label).trim().toLowerCase()];
      if (encoding === undefined) {
        const e = new RangeError(`The "${String(label)}" encoding is not supported (the sandbox's TextDecoder reads utf-8, utf-16le, utf-16be and latin1/windows-1252)`);
        e.code = "ERR_ENCODING_NOT_SUPPORTED";
        throw at(e, TextDecoder);
      }
      this.#encoding = encoding;
      this.#fatal = !!(options && options.fatal);
      this.#ignoreBOM = !!(options && options.ignoreBOM);
    }
    get encoding() { return this.#encoding; }
    get fatal() { return this.#fatal; }
    get ignoreBOM() { return this.#ignoreBOM; }
    decode(input, options) {
      if (options && options.stream) throw at(new TypeError("TextDecoder.decode: { stream: true } is not available in the sandbox: decode the whole input at once"), this.decode);
      const bytes = bytesOf(input, this.decode);
      const points = [];
      let text = "";
      const emit = (c) => { points.push(c); if (points.length >= 8192) { text += String.fromCodePoint(...points); points.length = 0; } };
      const bad = () => {
        if (this.#fatal) {
          const e = new TypeError(`The encoded data was not valid for encoding ${this.#encoding}`);
          e.code = "ERR_ENCODING_INVALID_ENCODED_DATA";
          throw at(e, this.decode);
        }
        emit(0xfffd);
      };
      if (this.#encoding === "windows-1252") {
        // Each byte is the code point of its number: node's decoder for these labels (0x80-0x9f
        // included, where the standard's windows-1252 has other characters).
        for (let i = 0; i < bytes.length; i++) emit(bytes[i]);
        return text + String.fromCodePoint(...points);
      }
      if (this.#encoding !== "utf-8") {
        const little = this.#encoding === "utf-16le";
        const unit = (i) => little ? bytes[i] | (bytes[i + 1] << 8) : (bytes[i] << 8) | bytes[i + 1];
        let i = 0;
        for (; i + 1 < bytes.length; i += 2) {
          const c = unit(i);
          if (c >= 0xd800 && c <= 0xdbff) {
            const d = i + 3 < bytes.length ? unit(i + 2) : -1;
            if (d >= 0xdc00 && d <= 0xdfff) { emit(0x10000 + ((c - 0xd800) << 10) + (d - 0xdc00)); i += 2; } else bad();
          } else if (c >= 0xdc00 && c <= 0xdfff) bad();
          else emit(c);
        }
        if (i < bytes.length) bad();
        text += String.fromCodePoint(...points);
        return !this.#ignoreBOM && text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
      }
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
