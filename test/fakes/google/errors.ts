// Google API error bodies: {error:{code,message,errors:[{message,domain,reason,location?,locationType?}],status?}}.
import type { ServerResponse } from 'node:http';
import { sendJson } from '../http.ts';

/** An error a handler throws; the dispatcher turns it into Google's JSON error body. */
export class ApiError extends Error {
  readonly status: number;
  readonly reason: string;
  readonly domain: string;
  readonly location: string | undefined;
  readonly locationType: string | undefined;
  readonly rpcStatus: string | undefined;
  readonly headers: Record<string, string>;
  readonly details: unknown[] | undefined;
  readonly itemMessage: string | undefined;

  constructor(
    status: number,
    reason: string,
    message: string,
    more: {
      domain?: string;
      location?: string;
      locationType?: string;
      rpcStatus?: string;
      headers?: Record<string, string>;
      details?: unknown[];
      itemMessage?: string;
    } = {},
  ) {
    super(message);
    this.status = status;
    this.reason = reason;
    this.domain = more.domain ?? 'global';
    this.location = more.location;
    this.locationType = more.locationType;
    this.rpcStatus = more.rpcStatus;
    this.headers = more.headers ?? {};
    this.details = more.details;
    this.itemMessage = more.itemMessage;
  }

  body(): unknown {
    const item: Record<string, string> = {
      message: this.itemMessage ?? this.message,
      domain: this.domain,
      reason: this.reason,
    };
    if (this.location !== undefined) item['location'] = this.location;
    if (this.locationType !== undefined) item['locationType'] = this.locationType;
    const error: Record<string, unknown> = { code: this.status, message: this.message, errors: [item] };
    if (this.rpcStatus !== undefined) error['status'] = this.rpcStatus;
    if (this.details !== undefined) error['details'] = this.details;
    return { error };
  }
}

export function sendApiError(res: ServerResponse, error: ApiError): void {
  sendJson(res, error.status, error.body(), error.headers);
}

const QUOTA_DOMAINS: Record<string, string> = {
  quotaExceeded: 'youtube.quota',
  rateLimitExceeded: 'youtube.quota',
  userRateLimitExceeded: 'usageLimits',
  dailyLimitExceeded: 'usageLimits',
  uploadLimitExceeded: 'youtube.video',
  uploadRateLimitExceeded: 'youtube.thumbnail',
};

const DEFAULTS: Record<number, [reason: string, message: string]> = {
  400: ['badRequest', 'Bad Request'],
  401: ['authError', 'Invalid Credentials'],
  403: ['forbidden', 'Forbidden'],
  404: ['notFound', 'Not Found'],
  409: ['conflict', 'Conflict'],
  410: ['deleted', 'Gone'],
  429: ['rateLimitExceeded', 'Too Many Requests'],
  500: ['backendError', 'Backend Error'],
  502: ['badGateway', 'Bad Gateway'],
  503: ['backendError', 'Backend Error'],
  504: ['deadlineExceeded', 'Gateway Timeout'],
};

/** The error an injected fault answers: reason and message default per status (503 → backendError). */
export function injectedError(
  status: number,
  reason?: string,
  message?: string,
  headers: Record<string, string> = {},
): ApiError {
  const [defaultReason, defaultMessage] = DEFAULTS[status] ?? ['backendError', 'Backend Error'];
  const r = reason ?? defaultReason;
  return new ApiError(status, r, message ?? defaultMessage, {
    domain: QUOTA_DOMAINS[r] ?? 'global',
    headers,
  });
}

// ---- The catalogue of documented errors the fake answers ----

export const SCOPE_PREFIX = 'https://www.googleapis.com/auth/';

export function unauthenticated(missing: boolean): ApiError {
  const message = missing
    ? 'Request is missing required authentication credential. Expected OAuth 2 access token, login cookie or other valid authentication credential. See https://developers.google.com/identity/sign-in/web/devconsole-project.'
    : 'Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie or other valid authentication credential. See https://developers.google.com/identity/sign-in/web/devconsole-project.';
  return new ApiError(401, missing ? 'required' : 'authError', message, {
    itemMessage: missing ? 'Login Required.' : 'Invalid Credentials',
    location: 'Authorization',
    locationType: 'header',
    rpcStatus: 'UNAUTHENTICATED',
    headers: {
      'www-authenticate': missing
        ? 'Bearer realm="https://accounts.google.com/"'
        : 'Bearer realm="https://accounts.google.com/", error="invalid_token"',
    },
  });
}

export function insufficientScopes(method: string, accepted: string[]): ApiError {
  return new ApiError(403, 'insufficientPermissions', 'Request had insufficient authentication scopes.', {
    itemMessage: 'Insufficient Permission',
    rpcStatus: 'PERMISSION_DENIED',
    headers: {
      'www-authenticate': `Bearer realm="https://accounts.google.com/", error="insufficient_scope", scope="${accepted.map((s) => SCOPE_PREFIX + s).join(' ')}"`,
    },
    details: [
      {
        '@type': 'type.googleapis.com/google.rpc.ErrorInfo',
        reason: 'ACCESS_TOKEN_SCOPE_INSUFFICIENT',
        domain: 'googleapis.com',
        metadata: { service: 'youtube.googleapis.com', method: `youtube.api.v3.V3DataService.${method}` },
      },
    ],
  });
}

export function quotaExceeded(): ApiError {
  return new ApiError(
    403,
    'quotaExceeded',
    'The request cannot be completed because you have exceeded your <a href="/youtube/v3/getting-started#quota">quota</a>.',
    { domain: 'youtube.quota' },
  );
}

export function signupRequired(): ApiError {
  return new ApiError(401, 'youtubeSignupRequired', 'Unauthorized', {
    domain: 'youtube.header',
    location: 'Authorization',
    locationType: 'header',
  });
}

export function requiredParam(name: string): ApiError {
  return new ApiError(400, 'required', `Required parameter: ${name}`, {
    location: name,
    locationType: 'parameter',
  });
}

export function requiredField(name: string): ApiError {
  return new ApiError(400, 'required', `Required field: ${name}`, { location: name, locationType: 'other' });
}

export function unknownPart(part: string): ApiError {
  return new ApiError(400, 'unknownPart', `'${part}'`, {
    domain: 'youtube.part',
    location: 'part',
    locationType: 'parameter',
  });
}

export function invalidValue(param: string, value: string, why = ''): ApiError {
  return new ApiError(400, 'invalidParameter', `Invalid value '${value}'.${why ? ' ' + why : ''}`, {
    location: param,
    locationType: 'parameter',
  });
}

export function noFilter(expected: string[]): ApiError {
  return new ApiError(
    400,
    'missingRequiredParameter',
    `No filter selected. Expected one of: ${expected.join(', ')}`,
    {
      domain: 'youtube.parameter',
      location: 'parameters.',
      locationType: 'other',
    },
  );
}

export function incompatibleFilters(given: string[]): ApiError {
  return new ApiError(
    400,
    'incompatibleParameters',
    `Incompatible parameters specified in the request: ${given.join(', ')}`,
    {
      domain: 'youtube.parameter',
      location: 'parameters.',
      locationType: 'other',
    },
  );
}

export function invalidPageToken(): ApiError {
  return new ApiError(400, 'invalidPageToken', 'The request specifies an invalid page token.', {
    domain: 'youtube.parameter',
    location: 'pageToken',
    locationType: 'parameter',
  });
}

export function parseError(): ApiError {
  return new ApiError(400, 'parseError', 'Parse Error');
}

export function videoNotFound(location = 'id', domain = 'youtube.video'): ApiError {
  return new ApiError(
    404,
    'videoNotFound',
    `The video identified by the <code><a href="/youtube/v3/docs/videos#id">${location}</a></code> parameter could not be found.`,
    { domain, location, locationType: 'parameter' },
  );
}

export function videoForbidden(action: string): ApiError {
  return new ApiError(
    403,
    'forbidden',
    `The video that you are trying to ${action} cannot be ${action === 'delete' ? 'deleted' : action + 'd'}. The request might not be properly authorized.`,
    { domain: 'youtube.video' },
  );
}

export function playlistNotFound(location = 'id', domain = 'youtube.playlist'): ApiError {
  return new ApiError(
    404,
    'playlistNotFound',
    `The playlist identified with the request's <code>${location}</code> parameter cannot be found.`,
    {
      domain,
      location,
      locationType: 'parameter',
    },
  );
}

export function playlistForbidden(): ApiError {
  return new ApiError(
    403,
    'playlistForbidden',
    'This operation is forbidden or the request is not properly authorized.',
    {
      domain: 'youtube.playlist',
    },
  );
}

export function playlistItemsNotAccessible(): ApiError {
  return new ApiError(
    403,
    'playlistItemsNotAccessible',
    'The request is not properly authorized to retrieve the specified playlist.',
    {
      domain: 'youtube.playlistItem',
      location: 'playlistId',
      locationType: 'parameter',
    },
  );
}

export function invalidMetadata(reason: string, message: string, location: string): ApiError {
  return new ApiError(400, reason, message, { domain: 'youtube.video', location, locationType: 'other' });
}

export function mediaBodyRequired(): ApiError {
  return new ApiError(400, 'mediaBodyRequired', 'The request does not include the video content.', {
    domain: 'youtube.video',
  });
}

export function badContent(type: string, valid: string): ApiError {
  return new ApiError(
    400,
    'badContent',
    `Media type '${type}' is not supported. Valid media types: [${valid}]`,
  );
}

export function uploadNotFound(): ApiError {
  return new ApiError(404, 'notFound', 'Not Found');
}
