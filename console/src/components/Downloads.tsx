import { Button } from "@mantine/core";
import { useEffect, useMemo } from "react";

/** A download link for generated content (a blob URL, revoked when the content changes). */
export function DownloadButton({ content, type, fileName, label }: { content: BlobPart; type: string; fileName: string; label: string }) {
  const url = useMemo(() => URL.createObjectURL(new Blob([content], { type })), [content, type]);
  useEffect(() => () => URL.revokeObjectURL(url), [url]);
  return (
    <Button component="a" href={url} download={fileName} variant="light" size="xs">
      {label}
    </Button>
  );
}
