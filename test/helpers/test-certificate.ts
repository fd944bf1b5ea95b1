/**
 * A self-signed test-only certificate for CN/SAN DNS:localhost (no IP SAN), valid until 2126.
 * Test data only: shared by the sender test (an HTTPS receiver) and the config test (a CA file).
 */
export const TEST_CERT = `-----BEGIN CERTIFICATE-----
MIIBlDCCATugAwIBAgIUdYCjKiFbZ0QzZp0ci5I1djQuvP8wCgYIKoZIzj0EAwIw
FDESMBAGA1UEAwwJbG9jYWxob3N0MCAXDTI2MTEyMjE2MDM0NloYDzIxMjYxMDI5
MTYwMzQ2WjAUMRIwEAYDVQQDDAlsb2NhbGhvc3QwWTATBgcqhkjOPQIBBggqhkjO
PQMBBwNCAARHcr/ymfwpKIC6wct+19lHB5/Ty2/jmNi8v2HLSV8UeWRokWWnhpen
RhRTcJ8kfpCPAsvqwVZjBl8FZ7Q38WLCo2kwZzAdBgNVHQ4EFgQUxay28nZUPYrw
vFsypF3Pr3n33xcwHwYDVR0jBBgwFoAUxay28nZUPYrwvFsypF3Pr3n33xcwDwYD
VR0TAQH/BAUwAwEB/zAUBgNVHREEDTALgglsb2NhbGhvc3QwCgYIKoZIzj0EAwID
RwAwRAIgWV9kFlMzpB4/z5OLHpTWFw7cdQwvJM5S2t4AqAsAXnMCIFCR3LfSyqQq
eOHVNqGlUUA1N1mfqBt3TkwSelM/DOMd
-----END CERTIFICATE-----
`
export const TEST_KEY = `-----BEGIN PRIVATE KEY-----
MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgJwEti++o8A4LaBaz
5/Zobn20xohdEkIMyzJZlA2pqs6hRANCAARHcr/ymfwpKIC6wct+19lHB5/Ty2/j
mNi8v2HLSV8UeWRokWWnhpenRhRTcJ8kfpCPAsvqwVZjBl8FZ7Q38WLC
-----END PRIVATE KEY-----
`
