// What a STOMP broker's ERROR frame means, in words a user can act on.

/** How brokers word a refused login (ActiveMQ: "User name [u] or password is invalid."; RabbitMQ: "Access refused for user 'u'"). */
const REFUSED = /password|credential|login|authenticat|access refused/i;

/**
 * A broker's ERROR frame as one line: its message header, and the first line of its body when that says
 * something else (RabbitMQ's header is only "Bad CONNECT", its body "Access refused for user 'u'"). A refused
 * login is named as such.
 */
export function describeStompError(header: string | undefined, body: string): string {
  const said = header?.trim() ?? "";
  const detail = body.trim().split("\n")[0]!.trim();
  let message: string;
  if (!said) message = detail;
  else if (!detail || said.includes(detail) || detail.includes(said)) message = said;
  else message = `${said}: ${detail}`;
  if (!message) return "the broker reported an error without saying which";
  return REFUSED.test(message) ? `the broker refused the credentials: ${message}` : `the broker reported an error: ${message}`;
}
