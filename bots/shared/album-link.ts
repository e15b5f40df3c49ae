/** The album link, only ever sent to its owner (ARCHITECTURE.md: `${PUBLIC_URL}/a/<token>`); one builder for every bot. */
export const albumLink = (album: string, token: string) => `${album.replace(/\/+$/, '')}/a/${encodeURIComponent(token)}`;
