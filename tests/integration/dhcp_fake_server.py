#!/usr/bin/env python3
"""A DHCP server that misbehaves on purpose, for the dhcp tests: run inside
the lab's server namespace (scenario dhcp-down: no dnsmasq on port 67).
  dhcp_fake_server.py nak     OFFER, then DHCPNAK to the REQUEST
  dhcp_fake_server.py nodns   OFFER and ACK without option 6
Serves at most 20 messages or 20 seconds, then exits."""
import socket, struct, sys, time

mode = sys.argv[1]
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.setsockopt(socket.SOL_SOCKET, socket.SO_BROADCAST, 1)
s.setsockopt(socket.SOL_SOCKET, socket.SO_BINDTODEVICE, b"veth-srv\0")
s.bind(("0.0.0.0", 67))
s.settimeout(1.0)
SERVER = bytes([10, 99, 0, 1])

def reply(req, mtype, opts):
    xid, chaddr = req[4:8], req[28:44]
    hdr = bytearray(236)
    hdr[0:4] = bytes([2, 1, 6, 0])
    hdr[4:8] = xid
    hdr[10:12] = b"\x80\x00"
    hdr[16:20] = bytes([10, 99, 0, 222])            # yiaddr
    hdr[20:24] = SERVER
    hdr[28:44] = chaddr
    body = bytes([99, 130, 83, 99, 53, 1, mtype, 54, 4]) + SERVER
    for code, data in opts:
        body += bytes([code, len(data)]) + data
    return bytes(hdr) + body + b"\xff"

end = time.time() + 20
served = 0
while time.time() < end and served < 20:
    try:
        req, _ = s.recvfrom(1500)
    except socket.timeout:
        continue
    if len(req) < 243 or req[236:240] != bytes([99, 130, 83, 99]):
        continue
    i, mtype = 240, None
    while i + 1 < len(req) and req[i] != 255:
        if req[i] == 0:
            i += 1; continue
        if req[i] == 53:
            mtype = req[i + 2]
        i += 2 + req[i + 1]
    common = [(1, bytes([255, 255, 255, 0])), (51, struct.pack("!I", 600))]
    if mtype == 1:
        out = reply(req, 2, common + ([] if mode == "nodns" else [(6, bytes([10, 99, 0, 53]))]))
    elif mtype == 3:
        out = reply(req, 6, [(56, b"address not yours")]) if mode == "nak" else reply(req, 5, common)
    else:
        continue
    s.sendto(out, ("255.255.255.255", 68))
    served += 1
