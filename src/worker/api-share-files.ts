// The worker API's calls for the Files panel: a shared folder in the browser's storage,
// listed, filled and read (api.ts re-exports them; the page imports api.ts).

/** Progress of an import or export, in bytes. */
export type TransferProgress = (doneBytes: number, totalBytes: number) => void;

/** One entry of a shared folder, as the Files panel lists it. */
export interface ShareEntry {
  name: string;
  kind: "file" | "dir" | "symlink";
  size: number;
  /** Last modification, milliseconds since 1970. */
  mtimeMs: number;
}

/** A file for a shared folder: where it goes ("a/b.txt", folders made as needed) and its bytes. */
export interface ShareUpload {
  path: string;
  data: Blob;
}

/**
 * The Files panel's calls: a shared folder in this browser's storage by its folder name
 * (`share`), paths inside it with '/' ("" is the folder itself). While the machine runs they go
 * through the same files its guest sees; without one the folder is opened for the call.
 */
export interface ShareFilesApi {
  listShare(share: string, path: string): Promise<ShareEntry[]>;
  /** Writes (replacing) every file, making folders as needed. */
  writeShareFiles(share: string, files: ShareUpload[], onProgress: TransferProgress): Promise<void>;
  readShareFile(share: string, path: string, onProgress: TransferProgress): Promise<Blob>;
  /** The folder at `path` and everything in it as a zip (symlinks left out). */
  zipShareFolder(share: string, path: string, onProgress: TransferProgress): Promise<Blob>;
}
