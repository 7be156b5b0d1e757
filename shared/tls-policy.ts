/**
 * The TLS policy of every server here (mqtts, the cloud's HTTPS): TLS 1.2 or newer, and for TLS 1.2 only
 * ECDHE key exchange with AEAD ciphers (no static-RSA key exchange, no CBC); TLS 1.3's suites are all AEAD.
 */
export const TLS_MIN_VERSION = 'TLSv1.2' as const;

export const TLS_CIPHERS = [
  'TLS_AES_256_GCM_SHA384', 'TLS_CHACHA20_POLY1305_SHA256', 'TLS_AES_128_GCM_SHA256',
  'ECDHE-ECDSA-AES128-GCM-SHA256', 'ECDHE-RSA-AES128-GCM-SHA256', 'ECDHE-ECDSA-AES256-GCM-SHA384', 'ECDHE-RSA-AES256-GCM-SHA384',
  'ECDHE-ECDSA-CHACHA20-POLY1305', 'ECDHE-RSA-CHACHA20-POLY1305',
].join(':');

/** Spread into tls.createServer / https options. */
export const TLS_SERVER_OPTIONS = { minVersion: TLS_MIN_VERSION, ciphers: TLS_CIPHERS, honorCipherOrder: true } as const;
