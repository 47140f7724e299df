/** Authentication context classes Tobira issues (`acr`) and RFC 8176 method references (`amr`). */
export const ACR_PASSWORD = 'urn:tobira:acr:pwd';
export const ACR_MFA = 'urn:tobira:acr:mfa';
export const ACR_VALUES = [ACR_PASSWORD, ACR_MFA];
