"""Regression on Θ (supervised ARTM): a numeric or binary document variable y explained by the
topics, R(Θ, v) = −τ Σ_d (y_d − Σ_t v_t θ_td)² with v fitted in the M-step."""
