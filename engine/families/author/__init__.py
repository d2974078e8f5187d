"""The three-matrix (author–topic) model: p(w|d) = Σ_t Σ_c φ_wt ψ_tc θ_cd, C = authors."""
