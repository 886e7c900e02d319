let total = 0
type Erased = true
interface AlsoErased { x: 1 }
;[1, 2, 3].forEach(v => { total += v })
const label = "t"
type Another = string
const out = [label, total]
export default out
