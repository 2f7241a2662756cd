import iconv from "iconv-lite";

/**
 * Mail clients quote the whole conversation under a reply. What we show is the new part:
 * everything from the first "On … wrote:" / "… пишет:" line, an "-----Original Message-----"
 * or Outlook header block, a "-- " signature or a trailing run of "> " lines is cut. When the
 * cut would leave nothing, the text is kept as it was. The full mail stays in the .eml.
 */
export function trimQuotedReply(text: string): string {
  const lines = text.replace(/\r\n?/g, "\n").split("\n");
  let cut = lines.length;
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!.trim();
    const next = (lines[i + 1] ?? "").trim();
    const isCut =
      /^-- ?$/.test(lines[i]!) ||
      /^-{2,}\s*(original message|исходное сообщение|пересылаемое сообщение|forwarded message)/i.test(line) ||
      /^_{8,}$/.test(line) ||
      /^on\b.{0,200}\bwrote:$/i.test(line) ||
      /(пишет|написал|написала|написал\(а\)):$/i.test(line) ||
      /<[^<>\s]+@[^<>\s]+>:$/.test(line) ||
      (/^(from|от|от кого):\s/i.test(line) && /^(sent|date|to|отправлено|дата|кому):\s/i.test(next)) ||
      /^(sent from my|отправлено с|отправлено из)\b/i.test(line) ||
      (line.startsWith(">") && lines.slice(i).every((l) => l.trim() === "" || l.trim().startsWith(">")));
    if (isCut) {
      cut = i;
      break;
    }
  }
  const kept = lines.slice(0, cut).join("\n").trim();
  return kept.length > 0 ? kept : text.trim();
}

/** Cuts only a "-- " signature (new tickets keep forwarded content). */
export function trimSignature(text: string): string {
  const lines = text.replace(/\r\n?/g, "\n").split("\n");
  const i = lines.findIndex((l) => /^-- ?$/.test(l));
  const kept = (i >= 0 ? lines.slice(0, i) : lines).join("\n").trim();
  return kept.length > 0 ? kept : text.trim();
}

const isValidUtf8 = (buf: Buffer): boolean => {
  try {
    new TextDecoder("utf-8", { fatal: true }).decode(buf);
    return true;
  } catch {
    return false;
  }
};

/**
 * Some mailers put raw 8-bit KOI8-R or Windows-1251 bytes into headers (Subject, From) instead
 * of RFC 2047 words. When the header block is not valid UTF-8 but names a charset iconv
 * knows, the header block is re-encoded to UTF-8 before parsing; the body is left alone.
 */
export function repairEightBitHeaders(raw: Buffer): Buffer {
  let end = raw.indexOf("\r\n\r\n");
  let sepLen = 4;
  if (end < 0) {
    end = raw.indexOf("\n\n");
    sepLen = 2;
  }
  if (end < 0) return raw;
  const head = raw.subarray(0, end);
  if (!head.some((b) => b >= 0x80) || isValidUtf8(head)) return raw;
  const charset =
    /charset\s*=\s*"?([a-z0-9_-]+)/i.exec(head.toString("latin1"))?.[1]?.toLowerCase() ?? "windows-1251";
  if (!iconv.encodingExists(charset) || /^utf-?8$/.test(charset)) return raw;
  const fixed = Buffer.from(iconv.decode(head, charset), "utf8");
  return Buffer.concat([fixed, raw.subarray(end, end + sepLen), raw.subarray(end + sepLen)]);
}
