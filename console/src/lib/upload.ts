/** PUT a file to a presigned URL with progress (fetch has no upload progress; XMLHttpRequest does). */
export function putWithProgress(
  url: string,
  file: Blob,
  headers: Record<string, string>,
  onProgress: (fraction: number) => void,
): Promise<void> {
  return new Promise((resolve, reject) => {
    const request = new XMLHttpRequest();
    request.open("PUT", url);
    for (const [name, value] of Object.entries(headers)) {
      request.setRequestHeader(name, value);
    }
    request.upload.onprogress = (event) => {
      if (event.lengthComputable) onProgress(event.loaded / event.total);
    };
    request.onload = () => {
      if (request.status >= 200 && request.status < 300) {
        onProgress(1);
        resolve();
      } else {
        reject(new Error(`upload answered ${request.status}: ${request.responseText.slice(0, 300)}`));
      }
    };
    request.onerror = () => reject(new Error("the upload could not reach storage"));
    request.send(file);
  });
}
