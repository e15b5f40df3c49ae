// Album addresses typed by chat users are untrusted: without this check the terminal would POST group photos
// to its own loopback, the private network it runs in or a cloud metadata service (server-side request
// forgery). Checked once when a member registers, and again at every connection, on the addresses the
// connection really uses, so a DNS answer that changes later (rebinding) does not get through.
import dns from 'node:dns';
import { createRequire } from 'node:module';
import net from 'node:net';
import ipaddr from 'ipaddr.js';
import type { Agent } from 'undici';

// undici (about 0.1 s to load) is required when the first dispatcher is made, not by every process that
// reads the configuration (config.ts uses this module).
const require = createRequire(import.meta.url);

export interface AlbumAddressPolicy {
  /** ALBUM_ALLOW_PRIVATE: chat users may name any address (a terminal on a trusted LAN). */
  allowPrivate: boolean;
  /** ALBUM_ALLOWED_HOSTS: host names (or IP literals) allowed whatever they resolve to. */
  allowedHosts: readonly string[];
  /** The built-in album (PUBLIC_URL): always allowed. */
  builtIn?: string;
}

/** The address was refused before any byte was sent; final, never retried. */
export class AlbumAddressError extends Error {
  readonly code = 'album_address_refused';
  constructor(message: string) {
    super(message);
    this.name = 'AlbumAddressError';
  }
}

const RANGE_NAMES: Record<string, string> = {
  loopback: 'a loopback address',
  private: 'a private network address',
  uniqueLocal: 'a private network address',
  linkLocal: 'a link-local address (where cloud metadata services live)',
  carrierGradeNat: 'a carrier-grade NAT address',
  multicast: 'a multicast address',
  broadcast: 'a broadcast address',
  unspecified: 'an unspecified address',
};

/** Why an IP address may not receive photos for chat users ("a loopback address"), or undefined when it is public unicast. */
export function blockedRange(ip: string): string | undefined {
  if (!ipaddr.isValid(ip)) return 'not an IP address';
  let address = ipaddr.parse(ip);
  // ::ffff:127.0.0.1 reaches 127.0.0.1.
  if (address instanceof ipaddr.IPv6 && address.isIPv4MappedAddress()) address = address.toIPv4Address();
  // IPv4-compatible ::a.b.c.d (deprecated, RFC 4291; URLs write [::127.0.0.1] as [::7f00:1]), which ipaddr.js
  // calls unicast: an IPv4 address in IPv6 clothing, never a public IPv6 album.
  if (address instanceof ipaddr.IPv6 && address.parts.slice(0, 6).every((p) => p === 0) && address.range() === 'unicast') return 'an IPv4-compatible IPv6 address';
  const range = address.range();
  // Only ordinary unicast passes; NAT64, 6to4, Teredo, documentation and other reserved ranges do not.
  return range === 'unicast' ? undefined : (RANGE_NAMES[range] ?? 'a reserved address');
}

// As config.ts reads ALBUM_ALLOWED_HOSTS: no brackets, lower case.
const bare = (host: string) => host.replace(/^\[|\]$/g, '').toLowerCase();

/** Whether an album address skips the check: private addresses allowed, the built-in album, or a listed host. */
export function isTrustedAlbum(album: string, policy: AlbumAddressPolicy): boolean {
  if (policy.allowPrivate) return true;
  const url = new URL(album);
  if (policy.builtIn && new URL(policy.builtIn).origin === url.origin) return true;
  return policy.allowedHosts.includes(bare(url.hostname));
}

// Names the kind of address, never the address DNS gave (that would let chat users map the internal network).
function refusal(album: string, why: string): AlbumAddressError {
  return new AlbumAddressError(
    `The album address ${album} is not allowed: it leads to ${why}. Give an album server reachable on the internet (the terminal's owner can allow this host with ALBUM_ALLOWED_HOSTS).`,
  );
}

type LookupAll = (host: string) => Promise<Array<{ address: string }>>;
const lookupAll: LookupAll = (host) => dns.promises.lookup(host, { all: true, verbatim: true });

/**
 * Refuses (AlbumAddressError) an album address a chat user typed when it is, or resolves to, a non-public
 * address. Used at registration, so a bad address is refused with a clear message and nothing is stored.
 */
export async function assertAlbumAddressAllowed(album: string, policy: AlbumAddressPolicy, lookup: LookupAll = lookupAll): Promise<void> {
  if (isTrustedAlbum(album, policy)) return;
  const host = bare(new URL(album).hostname);
  let addresses: string[];
  if (net.isIP(host)) addresses = [host];
  else {
    try {
      addresses = (await lookup(host)).map((a) => a.address);
    } catch {
      throw new AlbumAddressError(`The album address ${album} was not found: no DNS record for ${host}.`);
    }
  }
  for (const ip of addresses) {
    const why = blockedRange(ip);
    if (why) throw refusal(album, why);
  }
}

type LookupCallback = (error: NodeJS.ErrnoException | null, address: string | dns.LookupAddress[], family?: number) => void;

/**
 * An HTTP dispatcher for untrusted album addresses: every address DNS gives for a connection is checked
 * before the socket connects. (An IP literal never reaches `lookup`: check it with assertAlbumAddressAllowed first.)
 */
export function guardedDispatcher(album: string, resolve: typeof dns.lookup = dns.lookup): Agent {
  const guardedLookup = (host: string, options: dns.LookupOptions, callback: LookupCallback): void => {
    resolve(host, { ...options, all: true }, (error, found) => {
      if (error) return callback(error, []);
      for (const { address } of found) {
        const why = blockedRange(address);
        if (why) return callback(refusal(album, why), []);
      }
      // net.connect asks for one address or for all of them (happy eyeballs).
      if (options.all) return callback(null, found);
      const first = found[0];
      if (!first) return callback(Object.assign(new Error(`no address for ${host}`), { code: 'ENOTFOUND' }), []);
      callback(null, first.address, first.family);
    });
  };
  const undici = require('undici') as typeof import('undici');
  return new undici.Agent({ connect: { lookup: guardedLookup as never } });
}
