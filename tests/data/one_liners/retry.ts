/** How many retries a failed request gets, and what delay between retries. */
export interface RetryOptions {
  retries: number
  delay: number
}

/** How many retries a failed request gets, and what delay between retries. */
export function retryRequest(send: () => Response, options: RetryOptions): Response {
  let retries = 0
  let response = send()
  while (response.status >= 500 && retries < options.retries) {
    sleep(options.delay)
    response = send()
    retries += 1
  }
  return response
}

export function formatHeaders(headers: Map<string, string>): string {
  const lines: string[] = []
  for (const [name, value] of headers) {
    lines.push(`${name}: ${value}`)
  }
  return lines.join("\r\n")
}

export function parseCookie(text: string): Map<string, string> {
  const cookies = new Map<string, string>()
  for (const part of text.split(";")) {
    const [name, value] = part.trim().split("=")
    cookies.set(name, value)
  }
  return cookies
}
