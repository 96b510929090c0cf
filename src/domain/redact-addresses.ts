/**
 * A message fit for viewers: URLs, host:port pairs, IPv4 and IPv6 addresses
 * replaced by `<address>` (error messages of Kafka and Elasticsearch clients
 * name the brokers and nodes they failed to reach).
 */
const ADDRESS = '<address>';

const PATTERNS: readonly RegExp[] = [
  // scheme://anything-up-to-whitespace-or-quote
  /\b[a-z][a-z0-9+.-]*:\/\/[^\s"'<>(),;]+/gi,
  // [v6]:port and bare IPv6 (at least two colons between hex groups)
  /\[[0-9a-f:.]+\](?::\d{1,5})?/gi,
  // IPv6 with `::`, or written out in full (not times such as 12:30:45)
  /(?<![\w:])(?:[0-9a-f]{1,4}(?::[0-9a-f]{1,4})*)?::(?:[0-9a-f]{1,4}(?::[0-9a-f]{1,4})*)?(?![\w:])/gi,
  /\b(?:[0-9a-f]{1,4}:){7}[0-9a-f]{1,4}\b/gi,
  // IPv4, with an optional port
  /\b\d{1,3}(?:\.\d{1,3}){3}(?::\d{1,5})?\b/g,
  // host.name:port and localhost:port (a letter in the name: not a time)
  /\b(?=[a-z0-9.-]*[a-z][a-z0-9.-]*:\d)[a-z0-9](?:[a-z0-9-]*[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]*[a-z0-9])?)*:\d{1,5}\b/gi,
  // dotted host names with a letter-only top-level label (kafka-1.internal.example.com)
  /\b(?:[a-z0-9](?:[a-z0-9-]*[a-z0-9])?\.)+(?:com|net|org|io|internal|local|localdomain|cloud|dev|aws|amazonaws|svc|cluster)\b/gi,
  // getaddrinfo ENOTFOUND kafka-1 (a single-label host name)
  /(?<=\b(?:ENOTFOUND|EAI_AGAIN|ECONNREFUSED|ETIMEDOUT|EHOSTUNREACH) )[^\s,;)]+/g,
];

export function redactAddresses(message: string): string {
  let out = message;
  for (const p of PATTERNS) out = out.replace(p, ADDRESS);
  return out;
}
