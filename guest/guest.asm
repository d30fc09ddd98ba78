; placeholder until the V86 guest lands
%include "layout.inc"
        hlt
