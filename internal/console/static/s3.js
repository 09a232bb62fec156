// Object data over S3 itself: the MAPI presigns each request with the
// signed-in user's own access key (s3/presign) and the browser sends it to
// the S3 endpoint, which checks it as it checks any client's.

import { call, ApiError } from './api.js';

export class S3Error extends ApiError {}

// presign returns a URL for one S3 request.
export async function presign(method, bucket, key = '', query = {}) {
  const r = await call('s3/presign', { method, bucketName: bucket, key, query });
  return r.url;
}

function parse(text) {
  const doc = new DOMParser().parseFromString(text, 'application/xml');
  return doc.getElementsByTagName('parsererror').length ? null : doc;
}

// child returns the text of el's first child element named name.
export function child(el, name) {
  for (const c of el.children) {
    if (c.localName === name) return c.textContent;
  }
  return null;
}

function children(el, name) {
  return [...el.children].filter((c) => c.localName === name);
}

async function send(method, bucket, key, query, init = {}) {
  const url = await presign(method, bucket, key, query);
  const resp = await fetch(url, { method, credentials: 'omit', cache: 'no-store', ...init });
  if (!resp.ok) {
    const doc = parse(await resp.text());
    const root = doc && doc.documentElement;
    const code = root ? child(root, 'Code') : '';
    const message = (root && child(root, 'Message')) || `S3 answered ${resp.status}`;
    throw new S3Error(resp.status, code, message);
  }
  return resp;
}

// listObjects lists one page of keys under prefix, folders by delimiter.
export async function listObjects(bucket, { prefix = '', delimiter = '/', token = '', maxKeys = 100 } = {}) {
  const query = { 'list-type': '2', prefix, delimiter, 'max-keys': String(maxKeys) };
  if (token) query['continuation-token'] = token;
  const doc = parse(await (await send('GET', bucket, '', query)).text());
  const root = doc.documentElement;
  return {
    objects: children(root, 'Contents').map((c) => ({
      key: child(c, 'Key'),
      size: Number(child(c, 'Size')),
      lastModified: child(c, 'LastModified'),
      etag: child(c, 'ETag'),
      storageClass: child(c, 'StorageClass'),
    })),
    folders: children(root, 'CommonPrefixes').map((c) => child(c, 'Prefix')),
    truncated: child(root, 'IsTruncated') === 'true',
    next: child(root, 'NextContinuationToken') || '',
  };
}

// configuration reads a bucket sub-resource (versioning, replication,
// lifecycle, notification, cors, encryption): its document, or null when
// the bucket has none (S3's 404 for it).
export async function configuration(bucket, name) {
  try {
    const resp = await send('GET', bucket, '', { [name]: '' });
    return parse(await resp.text());
  } catch (err) {
    if (err.status === 404 && err.code !== 'NoSuchBucket') return null;
    throw err;
  }
}

// upload PUTs a file as key and returns its ETag and version.
export async function upload(bucket, key, file) {
  const resp = await send('PUT', bucket, key, {}, { body: file });
  return { etag: resp.headers.get('ETag'), versionId: resp.headers.get('x-amz-version-id') };
}

export async function remove(bucket, key) {
  await send('DELETE', bucket, key);
}

// downloadURL is a presigned GET that makes the browser save the object
// under its last path segment.
export async function downloadURL(bucket, key) {
  const name = key.split('/').filter(Boolean).pop() || 'download';
  const ascii = name.replace(/[^\x20-\x7e]|["\\]/g, '_');
  const disposition = `attachment; filename="${ascii}"; filename*=UTF-8''${encodeURIComponent(name)}`;
  return presign('GET', bucket, key, { 'response-content-disposition': disposition });
}
