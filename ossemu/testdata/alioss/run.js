// Drives the official ali-oss client against an ossemu server.
// Environment: OSS_ENDPOINT, OSS_AK, OSS_SK, OSS_BUCKET, OSS_OTHER_BUCKET,
// OSS_V4 ("1" for authorizationV4). Prints one line per step and exits 1 if
// any step failed.
'use strict';

const OSS = require('ali-oss');
const assert = require('assert');
const fs = require('fs');
const os = require('os');
const path = require('path');

const v4 = process.env.OSS_V4 === '1';
const bucket = process.env.OSS_BUCKET;
const client = new OSS({
  endpoint: process.env.OSS_ENDPOINT,
  accessKeyId: process.env.OSS_AK,
  accessKeySecret: process.env.OSS_SK,
  bucket,
  region: 'oss-cn-hangzhou',
  authorizationV4: v4,
  secure: false,
  timeout: 30000,
  retryMax: 0,
});

function data(n, seed) {
  const b = Buffer.alloc(n);
  let x = seed + 1;
  for (let i = 0; i < n; i++) {
    x = (Math.imul(x, 1664525) + 1013904223) >>> 0;
    b[i] = x >>> 24;
  }
  return b;
}

async function wantError(p, status, code) {
  try {
    await p;
  } catch (e) {
    assert.strictEqual(e.status, status, `status ${e.status} ${e.code}: ${e.message}`);
    assert.strictEqual(e.code, code, `code ${e.code}: ${e.message}`);
    assert.ok(e.requestId, 'error without request id');
    return;
  }
  assert.fail(`want ${status} ${code}, got success`);
}

const steps = [
  ['listBuckets', async () => {
    const r = await client.listBuckets();
    assert.deepStrictEqual(r.buckets.map(b => b.name).sort(), [bucket, process.env.OSS_OTHER_BUCKET].sort());
  }],
  ['getBucketInfo', async () => {
    const r = await client.getBucketInfo(bucket);
    assert.strictEqual(r.bucket.Name, bucket);
  }],
  ['getBucketInfo missing bucket', async () => {
    await wantError(client.getBucketInfo('no-such-bucket'), 404, 'NoSuchBucket');
  }],
  ['getBucketLocation', async () => {
    const r = await client.getBucketLocation(bucket);
    assert.ok(r.location, 'empty location');
  }],
  ['getBucketACL', async () => {
    const r = await client.getBucketACL(bucket);
    assert.strictEqual(r.acl, 'private');
  }],
  ['put and get', async () => {
    const body = data(200 * 1024, 1);
    const r = await client.put('dir/a b+c.bin', body, { meta: { owner: 'me' }, mime: 'text/plain' });
    assert.strictEqual(r.res.status, 200);
    assert.ok(r.res.headers['x-oss-hash-crc64ecma'], 'no CRC header');
    const g = await client.get('dir/a b+c.bin');
    assert.ok(Buffer.compare(g.content, body) === 0, 'content differs');
    assert.strictEqual(g.res.headers['x-oss-meta-owner'], 'me');
  }],
  ['get range', async () => {
    const body = data(1000, 2);
    await client.put('r', body);
    const g = await client.get('r', { headers: { Range: 'bytes=10-19' } });
    assert.strictEqual(g.res.status, 206);
    assert.ok(Buffer.compare(g.content, body.subarray(10, 20)) === 0);
    const whole = await client.get('r', { headers: { Range: 'bytes=1000-2000' } });
    assert.strictEqual(whole.res.status, 200);
    assert.strictEqual(whole.content.length, 1000);
  }],
  ['head', async () => {
    await client.put('h', Buffer.from('hello'), { meta: { k: 'v' } });
    const r = await client.head('h');
    assert.strictEqual(r.status, 200);
    assert.strictEqual(r.meta.k, 'v');
    assert.strictEqual(r.res.headers['content-length'], '5');
  }],
  ['head missing', async () => {
    await wantError(client.head('missing'), 404, 'NoSuchKey');
  }],
  ['getObjectMeta', async () => {
    await client.put('m', Buffer.from('12345'));
    const r = await client.getObjectMeta('m');
    assert.strictEqual(r.status, 200);
    assert.strictEqual(r.res.headers['content-length'], '5');
  }],
  ['list', async () => {
    for (const k of ['l/1', 'l/2', 'l/3 x']) await client.put(k, Buffer.from(k));
    const r = await client.list({ prefix: 'l/', 'max-keys': 10 });
    assert.deepStrictEqual(r.objects.map(o => o.name), ['l/1', 'l/2', 'l/3 x']);
  }],
  ['listV2', async () => {
    for (const k of ['v/1', 'v/2', 'v/d/3']) await client.put(k, Buffer.from(k));
    const r = await client.listV2({ prefix: 'v/', delimiter: '/', 'max-keys': 10 });
    assert.deepStrictEqual(r.objects.map(o => o.name), ['v/1', 'v/2']);
    assert.deepStrictEqual(r.prefixes, ['v/d/']);
  }],
  ['putACL and getACL', async () => {
    await client.put('acl', Buffer.from('x'));
    assert.strictEqual((await client.getACL('acl')).acl, 'default');
    await client.putACL('acl', 'public-read');
    assert.strictEqual((await client.getACL('acl')).acl, 'public-read');
  }],
  ['copy', async () => {
    const body = data(3000, 3);
    await client.put('src', body, { meta: { a: '1' } });
    const r = await client.copy('dst', 'src');
    assert.strictEqual(r.res.status, 200);
    const g = await client.get('dst');
    assert.ok(Buffer.compare(g.content, body) === 0);
    assert.strictEqual(g.res.headers['x-oss-meta-a'], '1');
  }],
  ['copy from other bucket', async () => {
    const other = new OSS({ ...client.options, bucket: process.env.OSS_OTHER_BUCKET });
    await other.put('o', Buffer.from('other'));
    await client.copy('from-other', 'o', process.env.OSS_OTHER_BUCKET);
    assert.strictEqual((await client.get('from-other')).content.toString(), 'other');
  }],
  ['putMeta', async () => {
    await client.put('pm', Buffer.from('keep'), { meta: { old: '1' } });
    await client.putMeta('pm', { fresh: '2' });
    const h = await client.head('pm');
    assert.deepStrictEqual(h.meta, { fresh: '2' });
    assert.strictEqual((await client.get('pm')).content.toString(), 'keep');
  }],
  ['append', async () => {
    let r = await client.append('ap', Buffer.from('hello '));
    assert.strictEqual(String(r.nextAppendPosition), '6');
    r = await client.append('ap', Buffer.from('world'), { position: r.nextAppendPosition });
    assert.strictEqual(String(r.nextAppendPosition), '11');
    assert.strictEqual((await client.get('ap')).content.toString(), 'hello world');
    await wantError(client.append('ap', Buffer.from('x'), { position: 3 }), 409, 'PositionNotEqualToLength');
  }],
  ['object tagging', async () => {
    await client.put('tg', Buffer.from('x'));
    await client.putObjectTagging('tg', { k1: 'v1', 'k 2': 'v 2' });
    assert.deepStrictEqual((await client.getObjectTagging('tg')).tag, { k1: 'v1', 'k 2': 'v 2' });
    await client.deleteObjectTagging('tg');
    assert.deepStrictEqual((await client.getObjectTagging('tg')).tag, {});
  }],
  ['tagging header on put', async () => {
    await client.put('tgh', Buffer.from('x'), { headers: { 'x-oss-tagging': 'a=1&b=2' } });
    assert.deepStrictEqual((await client.getObjectTagging('tgh')).tag, { a: '1', b: '2' });
  }],
  ['server-side encryption', async () => {
    const r = await client.put('enc', Buffer.from('x'), { headers: { 'x-oss-server-side-encryption': 'AES256' } });
    assert.strictEqual(r.res.headers['x-oss-server-side-encryption'], 'AES256');
    const h = await client.head('enc');
    assert.strictEqual(h.res.headers['x-oss-server-side-encryption'], 'AES256');
    await wantError(client.put('enc2', Buffer.from('x'), { headers: { 'x-oss-server-side-encryption': 'bogus' } }), 400, 'InvalidEncryptionAlgorithmError');
  }],
  ['deleteMulti verbose', async () => {
    const names = ['dm/1', 'dm/2 two', 'dm/3+x'];
    for (const k of names) await client.put(k, Buffer.from(k));
    const r = await client.deleteMulti(names);
    assert.deepStrictEqual(r.deleted.map(d => d.Key).sort(), names.slice().sort());
    assert.strictEqual(((await client.list({ prefix: 'dm/' })).objects || []).length, 0);
  }],
  ['deleteMulti quiet', async () => {
    const names = [];
    for (let i = 0; i < 20; i++) names.push(`dq/${i}`);
    for (const k of names.slice(0, 5)) await client.put(k, Buffer.from(k));
    const r = await client.deleteMulti(names, { quiet: true });
    assert.ok(!r.deleted || r.deleted.length === 0, 'quiet reply lists keys');
    assert.strictEqual(((await client.list({ prefix: 'dq/' })).objects || []).length, 0);
  }],
  ['multipartUpload', async () => {
    const body = data(350 * 1024, 4);
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'alioss-')), 'f.bin');
    fs.writeFileSync(file, body);
    const r = await client.multipartUpload('mp', file, { partSize: 100 * 1024, parallel: 2 });
    assert.strictEqual(r.res.status, 200);
    assert.ok(Buffer.compare((await client.get('mp')).content, body) === 0);
    fs.rmSync(path.dirname(file), { recursive: true });
  }],
  ['multipart by hand', async () => {
    const body = data(250 * 1024, 5);
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'alioss-')), 'f.bin');
    fs.writeFileSync(file, body);
    const { uploadId } = await client.initMultipartUpload('mh');
    const p1 = await client.uploadPart('mh', uploadId, 1, file, 0, 150 * 1024);
    const p2 = await client.uploadPart('mh', uploadId, 2, file, 150 * 1024, body.length);
    const lp = await client.listParts('mh', uploadId);
    assert.strictEqual(lp.parts.length, 2);
    const lu = await client.listUploads({});
    assert.ok(lu.uploads.some(u => u.uploadId === uploadId), 'upload not listed');
    await client.completeMultipartUpload('mh', uploadId, [{ number: 1, etag: p1.etag }, { number: 2, etag: p2.etag }]);
    assert.ok(Buffer.compare((await client.get('mh')).content, body) === 0);
    fs.rmSync(path.dirname(file), { recursive: true });
  }],
  ['abortMultipartUpload', async () => {
    const { uploadId } = await client.initMultipartUpload('ab');
    await client.abortMultipartUpload('ab', uploadId);
    await wantError(client.listParts('ab', uploadId), 404, 'NoSuchUpload');
  }],
  ['uploadPartCopy', async () => {
    const body = data(300 * 1024, 6);
    await client.put('pcs', body);
    const { uploadId } = await client.initMultipartUpload('pcd');
    const a = await client.uploadPartCopy('pcd', uploadId, 1, `0-${200 * 1024 - 1}`, { sourceKey: 'pcs', sourceBucketName: bucket });
    const b = await client.uploadPartCopy('pcd', uploadId, 2, `${200 * 1024}-${body.length - 1}`, { sourceKey: 'pcs', sourceBucketName: bucket });
    await client.completeMultipartUpload('pcd', uploadId, [{ number: 1, etag: a.etag }, { number: 2, etag: b.etag }]);
    assert.ok(Buffer.compare((await client.get('pcd')).content, body) === 0);
  }],
  ['signed URL', async () => {
    await client.put('su', Buffer.from('signed'));
    // ali-oss refuses to sign URLs for an IP endpoint and leaves the bucket
    // out of the path unless second-level-domain mode is on: sign through
    // localhost in that mode, then fetch from the same server.
    const endpoint = new URL(process.env.OSS_ENDPOINT);
    const sld = new OSS({ ...client.options, endpoint: `http://localhost:${endpoint.port}`, sldEnable: true });
    let url = v4 ? await sld.signatureUrlV4('GET', 600, undefined, 'su') : sld.signatureUrl('su', { expires: 600 });
    if (url.startsWith('/')) url = endpoint.origin + url;
    const resp = await fetch(url);
    assert.strictEqual(resp.status, 200, await resp.clone().text());
    assert.strictEqual(await resp.text(), 'signed');
  }],
  ['restore', async () => {
    await client.put('cold', Buffer.from('frozen'), { headers: { 'x-oss-storage-class': 'Archive' } });
    await wantError(client.get('cold'), 403, 'InvalidObjectState');
    const r = await client.restore('cold');
    assert.strictEqual(r.res.status, 202);
    assert.strictEqual((await client.get('cold')).content.toString(), 'frozen');
  }],
  ['getBucketStat', async () => {
    const r = await client.getBucketStat(bucket);
    assert.ok(Number(r.stat.ObjectCount) > 0, `stat ${JSON.stringify(r.stat)}`);
  }],
  ['delete', async () => {
    await client.put('del', Buffer.from('x'));
    const r = await client.delete('del');
    assert.strictEqual(r.res.status, 204);
    await wantError(client.head('del'), 404, 'NoSuchKey');
  }],
  ['wrong secret', async () => {
    const bad = new OSS({ ...client.options, accessKeySecret: 'wrong' });
    await wantError(bad.get('r'), 403, 'SignatureDoesNotMatch');
  }],
];

(async () => {
  let failed = 0;
  for (const [name, fn] of steps) {
    try {
      await fn();
      console.log(`ok   ${name}`);
    } catch (e) {
      failed++;
      console.log(`FAIL ${name}: ${e && (e.stack || e.message || e)}`);
    }
  }
  console.log(`${steps.length - failed}/${steps.length} passed`);
  process.exit(failed ? 1 : 0);
})();
