"""Document links (relational ARTM): R(Θ) = τ Σ_{d,c} n_dc Σ_t θ_td θ_tc from an edge list."""
