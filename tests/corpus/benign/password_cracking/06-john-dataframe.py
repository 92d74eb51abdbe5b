import pandas as pd

staff = pd.DataFrame({
    "first": ["John", "Mary", "john", "Ana", "Hydra", "Medusa"],
    "last": ["Smith", "Jones", "Doe", "Lopez", "Team", "Project"],
    "hours": [38, 40, 12, 35, 20, 18],
})
staff["first_norm"] = staff["first"].str.lower()
john = staff[staff.first_norm == "john"]
print(john)
!echo "john,mary,ana" > /content/names.csv
!grep -i john /content/names.csv
