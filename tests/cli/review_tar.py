import sys, tarfile, io
BLOCK=512
def members(b):
    t=tarfile.open(fileobj=io.BytesIO(bytes(b)))
    return t.getmembers()
def find(b,suffix):
    for m in members(b):
        if m.name.rstrip('/').endswith(suffix): return m
    sys.exit('no '+suffix)
def checksum(b,off):
    # Keeps the writer's terminator bytes after the six digits.
    h=b[off:off+BLOCK]; h[148:156]=b' '*8; s=sum(h)
    b[off+148:off+154]=("%06o"%s).encode()
def pax_header(name, records, typ=tarfile.XHDTYPE):
    body=b""
    for k,v in records:
        rec=" %s=%s\n"%(k,v); n=len(rec)+1
        while len(str(n))+len(rec)!=n: n+=1
        body+=(str(n)+rec).encode()
    ti=tarfile.TarInfo("PaxHeader/x"); ti.type=typ; ti.size=len(body)
    return ti.tobuf(tarfile.USTAR_FORMAT)+body+b"\0"*(-len(body)%BLOCK)
cmd=sys.argv[1]; b=bytearray(open(sys.argv[2],'rb').read()); out=sys.argv[-1]
if cmd=='paxseal':   # pax comment record before the seal member
    m=find(b,'custos/seal.pb'); b=b[:m.offset]+pax_header(m.name,[('comment','unsigned bytes')])+b[m.offset:]
elif cmd=='globalseal':
    m=find(b,'custos/seal.pb'); b=b[:m.offset]+pax_header(m.name,[('comment','global')],tarfile.XGLTYPE)+b[m.offset:]
elif cmd=='sealmtime':
    m=find(b,'custos/seal.pb'); off=m.offset
    b[off+136:off+148]=("%011o\0"%12345).encode(); checksum(b,off)
elif cmd=='sealuname':
    m=find(b,'custos/seal.pb'); off=m.offset
    b[off+265:off+297]=b'mallory'.ljust(32,b'\0'); checksum(b,off)
elif cmd=='sealdup':   # SignedSeal with a leading junk 'seal' field (last one wins)
    m=find(b,'custos/seal.pb'); data=bytes(b[m.offset_data:m.offset_data+m.size])
    junk=b"\x0a\x0bforged-seal"
    new=junk+data
    hdr=bytearray(b[m.offset:m.offset_data]); o=len(hdr)-BLOCK
    # Same digits-and-terminator layout as the writer, so the header stays canonical.
    hdr[o+124:o+135]=("%011o"%len(new)).encode(); checksum(hdr,o)
    end=m.offset_data+((m.size+511)//512)*512
    b=b[:m.offset]+hdr+new+b"\0"*(-len(new)%BLOCK)+b[end:]
open(out,'wb').write(b)
