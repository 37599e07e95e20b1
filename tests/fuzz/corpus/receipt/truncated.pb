
ï bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb ê