import { LIMITS } from "@helpdesk/contracts";
import { useCallback, useRef, useState } from "react";
import { uploadFile } from "../../shared/api/client";
import type { Attachment } from "../../shared/api/types";

export type UploadItem = {
  key: string;
  name: string;
  size: number;
  progress: number;
  attachment?: Attachment;
  error?: unknown;
};

let counter = 0;

/** Uploads files as soon as they are picked, tracking per-file progress and errors. */
export function useUploads() {
  const [items, setItems] = useState<UploadItem[]>([]);
  const controllers = useRef(new Map<string, AbortController>());

  const patch = useCallback((key: string, change: Partial<UploadItem>) => {
    setItems((current) => current.map((item) => (item.key === key ? { ...item, ...change } : item)));
  }, []);

  const add = useCallback(
    (files: File[]) => {
      const room = Math.max(0, LIMITS.attachmentsPerItem - items.length);
      for (const file of files.slice(0, room)) {
        counter += 1;
        const key = `${counter}-${file.name}`;
        const controller = new AbortController();
        controllers.current.set(key, controller);
        setItems((current) => [...current, { key, name: file.name, size: file.size, progress: 0 }]);
        uploadFile(file, (progress) => patch(key, { progress }), controller.signal)
          .then((attachment) => patch(key, { attachment, progress: 1 }))
          .catch((error: unknown) => {
            if (!(error instanceof DOMException && error.name === "AbortError")) {
              patch(key, { error });
            }
          })
          .finally(() => controllers.current.delete(key));
      }
    },
    [items.length, patch],
  );

  const remove = useCallback((key: string) => {
    controllers.current.get(key)?.abort();
    setItems((current) => current.filter((item) => item.key !== key));
  }, []);

  const reset = useCallback(() => setItems([]), []);

  const ids = items.flatMap((item) => (item.attachment ? [item.attachment.id] : []));
  const busy = items.some((item) => !item.attachment && !item.error);
  return { items, add, remove, reset, ids, busy };
}
