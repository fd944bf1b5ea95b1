/** Limits of API.md ("Limits") that are not plain schema bounds. */

/** Tenant and endpoint `metadata`, as JSON. */
export const MAX_METADATA_BYTES = 16 * 1024

export const metadataTooLarge = (metadata: unknown): boolean => Buffer.byteLength(JSON.stringify(metadata)) > MAX_METADATA_BYTES
