#!/usr/bin/env python3
"""One SIP REGISTER over TLS with Digest (RFC 3261, RFC 2617 qop=auth), for
the lab's own checks. Prints the final status code; exit 0 on 200.

  sipreg.py HOST PORT USER DOMAIN [--ca FILE] [--legacy] [--timeout S]
The password comes from $SIPREG_PASSWORD, never from argv."""
import hashlib, os, random, re, socket, ssl, sys

def main():
    a = sys.argv[1:]
    ca = None; legacy = False; timeout = 5.0
    while len(a) > 4:
        f = a.pop(4)
        if f == "--ca": ca = a.pop(4)
        elif f == "--legacy": legacy = True
        elif f == "--timeout": timeout = float(a.pop(4))
    host, port, user, domain = a[0], int(a[1]), a[2], a[3]
    pw = os.environ.get("SIPREG_PASSWORD", "")
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    if ca: ctx.load_verify_locations(ca); ctx.verify_mode = ssl.CERT_REQUIRED
    else: ctx.verify_mode = ssl.CERT_NONE
    if legacy:
        ctx.set_ciphers("AES128-SHA:AES256-SHA:@SECLEVEL=0")
        ctx.minimum_version = ctx.maximum_version = ssl.TLSVersion.TLSv1
    raw = socket.create_connection((host, port), timeout=timeout)
    s = ctx.wrap_socket(raw)
    local = "%s:%d" % s.getsockname()[:2]
    callid = "%x@lab" % random.getrandbits(48)
    buf = b""
    def recv():
        nonlocal buf
        while b"\r\n\r\n" not in buf:
            d = s.recv(65536)
            if not d: raise SystemExit("closed")
            buf += d
        head, rest = buf.split(b"\r\n\r\n", 1)
        m = re.search(rb"(?im)^(?:content-length|l)\s*:\s*(\d+)", head)
        n = int(m.group(1)) if m else 0
        buf = rest[n:]
        return head.decode(errors="replace")
    def reg(cseq, auth=None):
        uri = "sip:" + domain
        m = ("REGISTER %s SIP/2.0\r\nVia: SIP/2.0/TLS %s;branch=z9hG4bK%x;rport\r\n"
             "Max-Forwards: 70\r\nFrom: <sip:%s@%s>;tag=%x\r\nTo: <sip:%s@%s>\r\n"
             "Call-ID: %s\r\nCSeq: %d REGISTER\r\nContact: <sip:%s@%s;transport=tls>\r\n"
             "Expires: 600\r\n" % (uri, local, random.getrandbits(48), user, domain,
             random.getrandbits(32), user, domain, callid, cseq, user, local))
        if auth: m += "Authorization: %s\r\n" % auth
        s.sendall((m + "Content-Length: 0\r\n\r\n").encode())
        r = recv()
        return int(r.split(" ", 2)[1]), r
    code, r = reg(1)
    if code == 401:
        ch = re.search(r"(?im)^WWW-Authenticate:\s*Digest\s+(.*)$", r).group(1)
        p = dict(re.findall(r'(\w+)="?([^",]+)"?', ch))
        md5 = lambda x: hashlib.md5(x.encode()).hexdigest()
        uri = "sip:" + domain; cn = "%08x" % random.getrandbits(32)
        ha1 = md5("%s:%s:%s" % (user, p["realm"], pw)); ha2 = md5("REGISTER:" + uri)
        resp = md5("%s:%s:00000001:%s:auth:%s" % (ha1, p["nonce"], cn, ha2))
        auth = ('Digest username="%s", realm="%s", nonce="%s", uri="%s", response="%s", '
                'algorithm=MD5, qop=auth, nc=00000001, cnonce="%s"'
                % (user, p["realm"], p["nonce"], uri, resp, cn))
        code, r = reg(2, auth)
    print(code)
    sys.exit(0 if code == 200 else 1)

if __name__ == "__main__":
    main()
