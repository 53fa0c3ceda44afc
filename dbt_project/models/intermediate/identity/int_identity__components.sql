-- Connected components of the identity graph (int_identity__edges) by min-label propagation in
-- plain SQL: one row per node with its component label after var identity_label_propagation_passes
-- passes, and the label one pass later (a test checks they agree, i.e. the passes converged).
{{ connected_components(ref('int_identity__edges'), passes=var('identity_label_propagation_passes')) }}
