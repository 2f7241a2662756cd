import { createReadStream } from "node:fs";
import { mkdir, rename, rm, stat } from "node:fs/promises";
import path from "node:path";
import type { Readable } from "node:stream";

/** Where attachment bytes live. Local disk by default; the key is opaque to callers. */
export type FileStorage = {
  /** Moves a finished temporary file into storage under `key`. */
  putFile(key: string, tempPath: string): Promise<void>;
  read(key: string): Readable;
  exists(key: string): Promise<boolean>;
  remove(key: string): Promise<void>;
  tempDir: string;
};

export async function createLocalStorage(dataDir: string): Promise<FileStorage> {
  const root = path.join(dataDir, "files");
  const tempDir = path.join(dataDir, "tmp");
  await mkdir(root, { recursive: true });
  await mkdir(tempDir, { recursive: true });
  const resolve = (key: string) => {
    if (!/^[a-z0-9/-]+$/i.test(key) || key.includes("..")) throw new Error(`Bad storage key ${key}`);
    return path.join(root, key);
  };
  return {
    tempDir,
    async putFile(key, tempPath) {
      const target = resolve(key);
      await mkdir(path.dirname(target), { recursive: true });
      await rename(tempPath, target);
    },
    read: (key) => createReadStream(resolve(key)),
    async exists(key) {
      try {
        await stat(resolve(key));
        return true;
      } catch {
        return false;
      }
    },
    async remove(key) {
      await rm(resolve(key), { force: true });
    },
  };
}
