/**
 * Every item of a list, page after page: each page is fetched when the previous one is used up,
 * following `nextCursor` until it is null, so a loop can stop early without reading the rest.
 */
export interface Page<T> {
  data: T[]
  nextCursor: string | null
}

export async function* paginate<T>(fetchPage: (cursor: string | undefined) => Promise<Page<T>>): AsyncGenerator<T, void, undefined> {
  let cursor: string | undefined
  do {
    const page = await fetchPage(cursor)
    yield* page.data
    cursor = page.nextCursor ?? undefined
  } while (cursor !== undefined)
}
