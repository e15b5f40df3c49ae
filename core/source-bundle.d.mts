export declare const ROOT: string;
export declare const CACHE_DIR: string;
export declare function freshBundle(name: string): URL | undefined;
export declare function buildBundle(name: string, entry: string, options?: { splitting?: boolean }): Promise<URL | undefined>;
