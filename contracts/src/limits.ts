/** Limits shared by the server (validation) and the web app (form hints). */
export const LIMITS = {
  titleMax: 200,
  descriptionMax: 20_000,
  messageMax: 20_000,
  nameMax: 120,
  emailMax: 254,
  passwordMin: 10,
  passwordMax: 256,
  attachmentsPerItem: 10,
  /** Bytes. One uploaded file. */
  uploadMaxBytes: 25 * 1024 * 1024,
  /** Bytes. A JSON request body. */
  jsonBodyMaxBytes: 1024 * 1024,
  pageSizeDefault: 25,
  pageSizeMax: 100,
  searchQueryMax: 200,
  idempotencyKeyMax: 128,
} as const;
