import { Code, Text } from "@mantine/core";

/** A titled, scrollable, keyboard-focusable block of JSON (a request, a response, a stream message); `empty` is
 * shown instead of a null value where one is given. */
export function JsonBlock({
  title,
  value,
  testId,
  maxHeight,
  empty,
}: {
  title: string;
  value: unknown;
  testId: string;
  maxHeight?: number;
  empty?: string;
}) {
  return (
    <>
      <Text size="sm" fw={600}>
        {title}
      </Text>
      <Code block tabIndex={0} data-testid={testId} style={maxHeight ? { maxHeight, overflow: "auto" } : undefined}>
        {value === null && empty !== undefined ? empty : JSON.stringify(value, null, 2)}
      </Code>
    </>
  );
}
