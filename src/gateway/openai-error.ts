// OpenAI-style error bodies, so clients' existing error handling keeps working through the gateway.
export function openAiError(
  message: string,
  type: string,
  code: string | null = null,
): { error: { message: string; type: string; param: null; code: string | null } } {
  return { error: { message, type, param: null, code } };
}
