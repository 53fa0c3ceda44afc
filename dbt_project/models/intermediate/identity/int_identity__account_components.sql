-- Connected components of the account graph (int_identity__account_edges); see int_identity__components.
{{ connected_components(ref('int_identity__account_edges'), passes=var('identity_label_propagation_passes')) }}
